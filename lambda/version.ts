/** The tool's version, stamped into reports and OCSF metadata. A unit test keeps it equal to package.json's. */
export const TOOL_VERSION = '0.1.0';
