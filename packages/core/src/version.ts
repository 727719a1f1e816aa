// Generated from package.json by tools/write-version.mjs before each build.

/** The version of @graft/core. */
export const CORE_VERSION = '0.1.0';
