// Liveroom demo console: DOM helpers: element lookup and creation, icons, small text formatting.

/** @typedef {import('./types').ElementsById} ElementsById */

/**
 * The element of index.html with this id, typed by ElementsById (the page has every id the console looks up).
 * @template {string} K
 * @param {K} id
 * @returns {import('./types').ElementOf<K>}
 */
export function $(id) {
  return /** @type {import('./types').ElementOf<K>} */ (document.getElementById(id));
}

/**
 * Creates an element: h('div', {class: 'x', text: 'hi', onclick: fn}, child, …).
 * @template {keyof HTMLElementTagNameMap} T
 * @param {T} tag
 * @param {Record<string, unknown> | null} [props]
 * @param {...unknown} kids
 * @returns {HTMLElementTagNameMap[T]}
 */
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'dataset') Object.assign(el.dataset, /** @type {Record<string, string>} */ (v));
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of kids.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** @type {Record<'camOff' | 'micOff', string>} */
export const ICON = {
  camOff: '<svg viewBox="0 0 24 24"><path d="M3.3 2.3 21.7 20.7l-1.4 1.4-3.4-3.4A2 2 0 0 1 14 18H4a2 2 0 0 1-2-2V8a2 2 0 0 1 1.6-2L1.9 3.7zM16 9.5l4-2.5v10l-.3-.2L8.2 6H14a2 2 0 0 1 2 2z"/></svg>',
  micOff: '<svg viewBox="0 0 24 24"><path d="M3.3 2.3 21.7 20.7l-1.4 1.4-4.5-4.5A7 7 0 0 1 13 17.9V21h-2v-3.1A7 7 0 0 1 5 11h2a5 5 0 0 0 7.4 4.4l-1.5-1.5A3 3 0 0 1 9 11v-.6L1.9 3.7zM15 5v5.6L9.1 4.7A3 3 0 0 1 15 5zm4 6a7 7 0 0 1-1 3.6l-1.5-1.5A5 5 0 0 0 17 11z"/></svg>',
};
/**
 * @param {keyof typeof ICON} name
 * @param {string} title
 */
export function icon(name, title) {
  const s = h('span', { class: 'ico', title });
  s.innerHTML = ICON[name];
  return s;
}

/** @param {unknown} name */
export const initial = (name) => (String(name || '?').trim()[0] || '?').toUpperCase();
/** @param {number} n */
export const pad2 = (n) => String(n).padStart(2, '0');
export const clock = (d = new Date()) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
/** @param {unknown} r */
export const roleName = (r) => (Number(r) === 1 ? 'Anchor' : 'Audience');

/**
 * The first element under root that matches selector (the console only asks for parts it put there).
 * @template {HTMLElement} [T=HTMLElement]
 * @param {ParentNode} root
 * @param {string} selector
 * @returns {T}
 */
export const q = (root, selector) => /** @type {T} */ (root.querySelector(selector));

/**
 * Every element under root that matches selector.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {ParentNode} root
 * @param {string} selector
 * @returns {NodeListOf<T>}
 */
export const qAll = (root, selector) => /** @type {NodeListOf<T>} */ (root.querySelectorAll(selector));
