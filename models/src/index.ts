/** Model manifest and tooling for Inkwell's inference nodes. */
export const MODELS_PACKAGE = "@inkwell/models";
