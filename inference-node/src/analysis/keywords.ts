// One extractor for the node's analysis and the edge's tag suggestions.
export { extractKeywords } from "@inkwell/shared";
