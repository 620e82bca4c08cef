import { describe, expect, it } from "vitest";
import { renderOutput } from "./output.ts";

const text = (output: string) => renderOutput(output).toString();

describe("step output as HTML", () => {
  it("escapes everything a plan can carry, so output never becomes markup", () => {
    const html = text("  + input = \"<script>alert(1)</script>\" & 'x'");
    expect(html).toBe(
      '<pre class="out"><span class="a">  + input = &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; &amp; &#39;x&#39;</span></pre>',
    );
  });

  it("colours terraform's markers by line and keeps every other line as it is", () => {
    const html = text(
      [
        "# terraform_data.a will be created",
        "  + create",
        "  ~ update",
        "  - destroy",
        "-/+ replace",
        " <= read",
        "plain",
      ].join("\n"),
    );
    expect(html).toBe(
      '<pre class="out"># terraform_data.a will be created\n<span class="a">  + create</span>\n<span class="c">  ~ update</span>\n<span class="d">  - destroy</span>\n<span class="r">-/+ replace</span>\n<span class="c"> &lt;= read</span>\nplain</pre>',
    );
  });

  it("turns ANSI colours into the same classes and closes what it opened", () => {
    expect(text("\u001b[32m+ add\u001b[0m then \u001b[1mbold")).toBe(
      '<pre class="out"><span class="a">+ add</span> then <span class="b">bold</span></pre>',
    );
    expect(text("\u001b[31m\u001b[1mError:\u001b[0m <x>")).toBe(
      '<pre class="out"><span class="d"><span class="b">Error:</span></span> &lt;x&gt;</pre>',
    );
  });

  it("keeps a megabyte of output whole", () => {
    const line = '      + attribute = "value"\n';
    const output = line.repeat(40_000);
    expect(text(output).split('<span class="a">').length - 1).toBe(40_000);
  });
});
