/**
 * The job's contract lives in `@inkwell/shared` (the edge builds the body and reads the answer); the
 * node's route and tests import it from here.
 */
export {
  type DiscoverTopicsJob,
  type DiscoverTopicsResult,
  discoveredTopicSchema,
  discoverTopicsJobSchema,
  discoverTopicsResultSchema,
} from "@inkwell/shared";
