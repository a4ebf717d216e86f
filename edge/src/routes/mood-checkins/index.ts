import { createRouter } from "../../lib/openapi.ts";
import { postMoodCheckin } from "./create-checkin.ts";
import { removeMoodCheckin } from "./delete-checkin.ts";
import { getMoodCheckins } from "./list-checkins.ts";

/** Quick mood check-ins: a rating without an entry, counted in the mood insights. */
export const moodCheckinRoutes = createRouter()
  .route("/", postMoodCheckin)
  .route("/", getMoodCheckins)
  .route("/", removeMoodCheckin);
