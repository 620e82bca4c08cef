import { describe, expect, it } from "vitest";
import { OutputRenderer, renderOutput } from "./output.ts";

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

describe("step output rendered as it arrives", () => {
  const sample = [
    "Terraform will perform the following actions:",
    '  + resource "x" { name = "<b>&\'" }',
    "\u001b[32m+ add\u001b[0m and \u001b[1mbold",
    "  ~ change",
    "-/+ replace",
    " <= read",
    "│ Error: broken",
    "",
    "plain line with \u00e9 and \u{1F600}",
    "Plan: 1 to add.",
  ].join("\n");

  it("gives exactly the whole render whatever the pieces' boundaries (inside lines, codes and escapes)", () => {
    const whole = text(sample);
    for (let size = 1; size <= sample.length; size++) {
      const renderer = new OutputRenderer();
      let html = "";
      for (let at = 0; at < sample.length; at += size) html += renderer.push(sample.slice(at, at + size));
      html += renderer.end();
      expect(html, `pieces of ${size}`).toBe(whole);
    }
  });

  it("keeps a trailing line break and an empty output as the whole render does", () => {
    for (const output of ["a\n", "\n\n", "", "x"]) {
      const renderer = new OutputRenderer();
      expect(renderer.push(output) + renderer.end()).toBe(text(output));
    }
  });

  it("answers each piece's complete lines at once, not at the end", () => {
    const renderer = new OutputRenderer();
    expect(renderer.push("  + first\n  - sec")).toBe('<pre class="out"><span class="a">  + first</span>\n');
    expect(renderer.push("ond\n")).toBe('<span class="d">  - second</span>\n');
    expect(renderer.end()).toBe("</pre>");
  });
});
