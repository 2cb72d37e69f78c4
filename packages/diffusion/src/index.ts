export const PACKAGE_READY = false; // scaffold: replaced by the package's real exports
