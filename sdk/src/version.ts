/**
 * The version the SDK reports through getCurrentVersion() and in the login `version` field. It names the
 * ZegoClient API generation this SDK implements (the last 1.x line), so servers and applications that branch on
 * the original SDK's version see a familiar value; the package's own version is PACKAGE_VERSION.
 */
export const SDK_VERSION = '1.12.2';

/** Version of the liveroom-sdk package itself (kept in step with package.json by hand). */
export const PACKAGE_VERSION = '0.1.0';
