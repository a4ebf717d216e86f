import { describe, expect, it } from "vitest";
import { htmlSnippet, MARK_START, MARK_STOP, plainSnippet } from "../../src/lib/snippet.ts";

describe("search snippets", () => {
  it("escapes the text first, then turns ts_headline's sentinels into <mark>", () => {
    expect(htmlSnippet(`a <b> & "c" ${MARK_START}<i>word</i>${MARK_STOP} 'd'`)).toBe(
      "a &lt;b&gt; &amp; &quot;c&quot; <mark>&lt;i&gt;word&lt;/i&gt;</mark> &#39;d&#39;",
    );
  });

  it("drops stray sentinels instead of leaving an unclosed mark", () => {
    expect(htmlSnippet(`x ${MARK_START}y`)).toBe("x y");
    expect(htmlSnippet(`x ${MARK_STOP}y`)).toBe("x y");
  });

  it("makes semantic snippets (no highlights) safe and short", () => {
    expect(plainSnippet(`<script>${MARK_START}x${MARK_STOP}</script>`)).toBe(
      "&lt;script&gt;x&lt;/script&gt;",
    );
    const long = plainSnippet("a".repeat(500));
    expect(long).toHaveLength(241);
    expect(long.endsWith("…")).toBe(true);
  });
});
