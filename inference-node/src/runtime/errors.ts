/** A model the node needs cannot be used; the message names the file and how to fix it. Stops start-up. */
export class ModelLoadError extends Error {
  override name = "ModelLoadError";
}
