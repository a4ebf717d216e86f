import { z } from "zod";
import { safetyResourceSchema } from "./safety.ts";

/**
 * Writing prompts and templates (`GET /v1/prompts`), and the prompts suggested from a writer's own
 * patterns (`GET /v1/prompts/suggested`). The built-ins are data, the same for everyone; a suggestion
 * says in plain words what in the writer's journal it comes from.
 */

export const writingPromptKinds = ["prompt", "template"] as const;

export const writingPromptSectionSchema = z.object({
  heading: z.string(),
  /** What to write under the heading. */
  prompt: z.string(),
});

export const writingPromptSchema = z.object({
  id: z.string(),
  /** `prompt`: one question to write from; `template`: headed sections to fill in. */
  kind: z.enum(writingPromptKinds),
  title: z.string(),
  /** The opening text: the question of a prompt, a line of introduction for a template. */
  body: z.string(),
  /** A template's sections, in order; empty for a prompt. */
  sections: z.array(writingPromptSectionSchema),
  /** One short line on why a writer might use it. */
  why: z.string(),
  /** About how long it takes. */
  minutes: z.number().int().positive(),
  /** Tags an entry written from it might carry. */
  tags: z.array(z.string()),
});
export type WritingPrompt = z.infer<typeof writingPromptSchema>;

export const listWritingPromptsQuerySchema = z.object({
  kind: z.enum(writingPromptKinds, { error: `must be one of ${writingPromptKinds.join(", ")}` }).optional(),
});

const prompt = (p: Omit<WritingPrompt, "kind" | "sections">): WritingPrompt => ({
  kind: "prompt",
  sections: [],
  ...p,
});
const template = (p: Omit<WritingPrompt, "kind">): WritingPrompt => ({ kind: "template", ...p });

/** The built-in prompts and templates, in the order the list shows them. Ids never change. */
export const WRITING_PROMPTS: readonly WritingPrompt[] = [
  template({
    id: "gratitude",
    title: "Three good things",
    body: "Three things that went well recently, however small, and what brought each about.",
    sections: [
      { heading: "What went well", prompt: "Three things, big or small, that went well." },
      { heading: "Why it happened", prompt: "For each one: what made it happen? Was any of it your doing?" },
      { heading: "Who to thank", prompt: "Is there anyone you would like to thank, even just here?" },
    ],
    why: "Good moments pass quickly; writing down why they happened makes the next ones easier to notice.",
    minutes: 5,
    tags: ["gratitude"],
  }),
  template({
    id: "evening-review",
    title: "Evening review",
    body: "A look back at the day before you put it down.",
    sections: [
      { heading: "What happened", prompt: "The main things of today, in a few lines." },
      { heading: "How it felt", prompt: "Which moment stayed with you, and how did it feel?" },
      { heading: "Keep", prompt: "One thing from today you would like to keep or do again." },
      { heading: "Let go", prompt: "One thing you can leave with today." },
    ],
    why: "Closing the day on paper gives it somewhere to go other than round your head at night.",
    minutes: 10,
    tags: ["evening-review"],
  }),
  template({
    id: "worry-dump",
    title: "Worry dump",
    body: "Everything that is on your mind, out of your head and onto the page, then sorted.",
    sections: [
      { heading: "Everything on my mind", prompt: "List it all, in any order, without judging any of it." },
      { heading: "What I can act on", prompt: "Which of these can you do something about?" },
      { heading: "The next small step", prompt: "For one of those: the smallest next step, and when." },
      { heading: "What can wait", prompt: "What can wait until tomorrow, or is not yours to fix?" },
    ],
    why: "A worry written down and sorted into what you can act on tends to take up less room.",
    minutes: 10,
    tags: ["worry"],
  }),
  prompt({
    id: "morning-pages",
    title: "Morning pages",
    body: "Write for ten minutes, or three pages, whatever comes into your head. Don't stop, don't edit, don't reread.",
    why: "Writing with no aim first thing often shows what is really on your mind.",
    minutes: 10,
    tags: ["morning-pages"],
  }),
  template({
    id: "hard-conversation",
    title: "A hard conversation",
    body: "Getting ready for a conversation you have been putting off.",
    sections: [
      { heading: "What I want to say", prompt: "Plainly, what do you need them to hear?" },
      { heading: "Their side", prompt: "What might they be feeling, or need from it?" },
      { heading: "What I hope for", prompt: "What would a good outcome look like, for both of you?" },
      { heading: "The first sentence", prompt: "How could you open it?" },
    ],
    why: "Saying it on paper first makes it easier to say what you mean when it matters.",
    minutes: 15,
    tags: ["relationships"],
  }),
  prompt({
    id: "small-win",
    title: "A small win",
    body: "What is one small thing that went right recently? What did you do that helped it go right?",
    why: "Small wins are easy to overlook; written down, they show progress you might not otherwise see.",
    minutes: 5,
    tags: ["wins"],
  }),
  prompt({
    id: "self-compassion",
    title: "A kind letter",
    body: "Write to yourself about something that is hard right now, the way a good friend who knows the whole story would.",
    why: "Most people speak to a friend more kindly than to themselves; this borrows that voice.",
    minutes: 10,
    tags: ["self-compassion"],
  }),
  template({
    id: "feelings-check-in",
    title: "Check-in",
    body: "A quick look at how you are, right now.",
    sections: [
      {
        heading: "Right now I feel",
        prompt: "A word or two for the feeling, or several if there are several.",
      },
      { heading: "In my body", prompt: "Where do you notice it, if anywhere?" },
      { heading: "What might help", prompt: "One thing that might help a little, even slightly." },
    ],
    why: "Naming a feeling is often the first step to it easing a little.",
    minutes: 3,
    tags: ["check-in"],
  }),
  template({
    id: "weekly-review",
    title: "Weekly review",
    body: "The week as a whole, before the next one starts.",
    sections: [
      { heading: "Highlights", prompt: "What were the best parts of the week?" },
      { heading: "What was hard", prompt: "What took the most out of you?" },
      { heading: "What I learned", prompt: "Anything you noticed about yourself or how things go?" },
      { heading: "Next week", prompt: "One thing you would like next week to have in it." },
    ],
    why: "A week seen whole shows patterns a single day hides.",
    minutes: 15,
    tags: ["weekly-review"],
  }),
  prompt({
    id: "unsent-letter",
    title: "A letter you won't send",
    body: "Write to someone, past or present, saying what you never got to say. No one else will read it.",
    why: "Words that had nowhere to go can be set down here, without having to be delivered.",
    minutes: 15,
    tags: ["letters"],
  }),
  prompt({
    id: "values-check",
    title: "What mattered",
    body: "What mattered most to you this week, and how much of your time did it get?",
    why: "Seeing where time went next to what you care about can show a small change worth making.",
    minutes: 10,
    tags: ["values"],
  }),
  prompt({
    id: "best-possible-self",
    title: "Best possible self",
    body: "Imagine things a few years from now have gone as well as they realistically could. Describe an ordinary day in that life.",
    why: "Picturing a good future in detail can make what you want, and the first steps to it, clearer.",
    minutes: 15,
    tags: ["future"],
  }),
];

export const suggestedPromptReasons = ["check-in", "mood-trend", "thinking-pattern", "topic-gap"] as const;

export const suggestedPromptSchema = z.object({
  /** Stable while its grounds stand (`topic-gap:<topicId>`, `thinking-pattern:<label>`, …). */
  id: z.string(),
  reason: z.enum(suggestedPromptReasons),
  title: z.string(),
  /** The question to write from. */
  body: z.string(),
  /** Why it was suggested, in plain words, naming what in the journal it comes from. */
  why: z.string(),
  /** A built-in prompt or template to start from (`GET /v1/prompts`), when one fits. */
  promptId: z.string().nullable(),
  /** The facts behind it, for a client that shows them its own way. */
  basis: z.object({
    topicId: z.string().optional(),
    topicName: z.string().optional(),
    pattern: z.string().optional(),
    entryCount: z.number().int().optional(),
    lastWrittenAt: z.string().optional(),
    measure: z.enum(["mood", "sentiment"]).optional(),
    recentAverage: z.number().optional(),
    earlierAverage: z.number().optional(),
  }),
  /** Only on a check-in after entries read at high risk: where to find help now. */
  resources: z.array(safetyResourceSchema).optional(),
});
export type SuggestedPrompt = z.infer<typeof suggestedPromptSchema>;
