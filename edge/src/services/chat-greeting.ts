import {
  type ChatMessage,
  CRISIS_RESOURCES,
  maxLevel,
  type SafetyLevel,
  type SessionType,
} from "@inkwell/shared";
import { and, desc, eq, inArray, isNull } from "drizzle-orm";
import type { KeySource } from "../crypto/field-cipher.ts";
import type { Database } from "../db/client.ts";
import { entries, entryAnalyses } from "../db/schema/index.ts";
import { openAnalysisKeywords } from "./analysis-fields.ts";

/**
 * The opening message of a session, composed here from templates rather than asked of a model: starting a
 * session then never waits on a node (nor fails without one), and nothing of the writer's entries goes
 * into it but the latest entry's title or two of its keywords. A recent entry read at high or critical
 * risk turns it into a quiet check-in with crisis resources, the way a crisis message turns the chat.
 */

/** How many of the latest entries are looked at for risk. */
const RECENT_ENTRIES = 5;
const TITLE_MAX_CHARS = 60;

export interface GreetingGrounds {
  /** The latest live entry's title, if it has one. */
  title: string | null;
  /** Two keywords of its analysis (of its current text), when it has no title. */
  keywords: string[];
  /** Whether the writer has any live entry at all. */
  hasEntries: boolean;
  /** The highest risk level read in the latest entries. */
  risk: SafetyLevel;
}

const INVITE: Record<SessionType, { fresh: string; grounded: string }> = {
  reflection_buddy: {
    fresh: "This is a space to talk through what happened and how it felt. What is on your mind today?",
    grounded: "Would you like to start there, or with whatever is on your mind today?",
  },
  inner_voice: {
    fresh:
      "Here we can listen to the voice in your head, the critical one and the kind one. What has it been saying lately?",
    grounded: "What has your inner voice been saying about it?",
  },
  growth_challenge: {
    fresh:
      "Let's find one small, concrete step toward something you care about. What would you like to work on?",
    grounded: "Is there one small step around it you would like to plan?",
  },
  pattern_detective: {
    fresh:
      "Once you have written a few entries, we can look across them for themes that keep coming back. What would you like to explore?",
    grounded:
      "We can look across your entries for themes that keep coming back. Where would you like to start?",
  },
  free_chat: {
    fresh: "What would you like to talk about?",
    grounded: "We can talk about that, or anything else you like.",
  },
};

function cleanTitle(title: string): string {
  const flat = title.replace(/\s+/g, " ").replace(/[“”"]/g, "").trim();
  return flat.length <= TITLE_MAX_CHARS ? flat : `${flat.slice(0, TITLE_MAX_CHARS - 1).trimEnd()}…`;
}

/** What the greeting may stand on: a title or keywords of the latest entry, and the recent risk. */
export async function greetingGrounds(
  db: Database,
  keys: KeySource,
  userId: string,
): Promise<GreetingGrounds> {
  const recent = await db
    .select({ id: entries.id, title: entries.title, contentVersion: entries.contentVersion })
    .from(entries)
    .where(and(eq(entries.userId, userId), isNull(entries.deletedAt)))
    .orderBy(desc(entries.occurredAt), desc(entries.id))
    .limit(RECENT_ENTRIES);
  const latest = recent[0];
  if (!latest) return { title: null, keywords: [], hasEntries: false, risk: "none" };
  const analyses = await db
    .select({
      entryId: entryAnalyses.entryId,
      keywords: entryAnalyses.keywords,
      keywordsCt: entryAnalyses.keywordsCt,
      safetyLevel: entryAnalyses.safetyLevel,
      contentVersion: entryAnalyses.contentVersion,
    })
    .from(entryAnalyses)
    .where(
      and(
        eq(entryAnalyses.userId, userId),
        inArray(
          entryAnalyses.entryId,
          recent.map((e) => e.id),
        ),
      ),
    );
  // Risk counts whatever text it was read in (an edit does not make a crisis go away); keywords only
  // describe the text the entry has now.
  let risk: SafetyLevel = "none";
  for (const a of analyses) if (a.safetyLevel) risk = maxLevel(risk, a.safetyLevel);
  const own = analyses.find((a) => a.entryId === latest.id && a.contentVersion === latest.contentVersion);
  // Only the latest entry's keywords are opened (sealed with the writer's key, analysis-fields.ts).
  const ownKeywords = own ? await openAnalysisKeywords(keys, { ...own, userId }) : null;
  const keywords = (ownKeywords ?? []).filter((k) => /^\p{L}[\p{L} '-]{1,23}$/u.test(k)).slice(0, 2);
  const title = latest.title?.trim() ? cleanTitle(latest.title) : null;
  return { title, keywords, hasEntries: true, risk };
}

export interface Greeting {
  content: string;
  safety: ChatMessage["safety"];
}

export function composeGreeting(type: SessionType, grounds: GreetingGrounds): Greeting {
  if (grounds.risk === "high" || grounds.risk === "critical") {
    return {
      content:
        "Hi. I'm here with you. Some of what you wrote recently sounded really hard, and you deserve support. " +
        "If you are in danger or thinking about hurting yourself, please reach out to one of the crisis lines " +
        "shown here, or to emergency services, right now. We can go as slowly as you need. How are you doing at the moment?",
      safety: { level: grounds.risk, resources: [...CRISIS_RESOURCES] },
    };
  }
  const invite = INVITE[type];
  if (grounds.risk === "moderate") {
    return {
      content: `Hello. It sounds like things may have felt heavy lately; we can take this at your pace. ${invite.fresh}`,
      safety: { level: "none" },
    };
  }
  if (grounds.title) {
    return {
      content: `Hello, welcome back. Your latest entry was “${grounds.title}”. ${invite.grounded}`,
      safety: { level: "none" },
    };
  }
  if (grounds.keywords.length > 0) {
    const about = grounds.keywords.join(" and ");
    return {
      content: `Hello, welcome back. Your latest entry touched on ${about}. ${invite.grounded}`,
      safety: { level: "none" },
    };
  }
  return {
    content: `Hello${grounds.hasEntries ? ", welcome back" : ""}. ${invite.fresh}`,
    safety: { level: "none" },
  };
}
