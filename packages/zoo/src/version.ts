// Generated from package.json by tools/write-version.mjs before each build.

/** The version of @graft/zoo. */
export const ZOO_VERSION = '0.1.0';
