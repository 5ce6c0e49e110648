import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadUserTemplate } from "./user-template.js";

let directory = "";

async function write(relative: string, text: string): Promise<string> {
  const path = join(directory, relative);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, text, "utf8");
  return path;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "user-template-"));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

// A user turn in the shape replications use, written for this test; filled below by plain string
// replacement, independently of the loader.
const turn =
  "<is_free_tier_user>{is_free_tier_user}</is_free_tier_user>\n\n<user_input>\n{user_input}\n</user_input>\n\n" +
  "Say <accepted/> first if you will help fully; otherwise say <declined/>. Think in private before you answer.\n";

describe("loadUserTemplate", () => {
  it("fills the tier and the query byte for byte, in single-brace and Jinja forms", async () => {
    const plain = await loadUserTemplate(await write("turn.txt", turn));
    const query = 'Write a limerick about {braces} and "quotes".';
    const expected = (flag: string) =>
      turn.replace("{is_free_tier_user}", flag).replace("{user_input}", query);
    expect(plain.render(query, "free")).toBe(expected("true"));
    expect(plain.render(query, "paid")).toBe(expected("false"));
    expect(plain.tiers).toEqual(["free", "paid"]);

    const jinjaText = turn
      .replace("{is_free_tier_user}", "{{ is_free_tier_user }}")
      .replace("{user_input}", "{{user_input}}");
    const jinja = await loadUserTemplate(await write("turn.jinja2", `{single} ${jinjaText}`), {
      tierValues: { free: "True", paid: "False" },
    });
    expect(jinja.render(query, "free")).toBe(`{single} ${expected("True")}`);
    expect(jinja.render(query, "paid")).toBe(`{single} ${expected("False")}`);
  });

  it("resolves includes like a prompt file and fills other fields from the variables", async () => {
    await write("parts/suffix.txt", "Reply for {audience}.");
    const path = await write("with-include.txt", "{user_input}\n{% include 'parts/suffix.txt' %}");
    const template = await loadUserTemplate(path, { variables: { audience: "students" } });
    expect(template.render("Hi", "free")).toBe("Hi\nReply for students.");
    const leaky = await write("leaky/turn.txt", "{user_input} {% include '../parts/suffix.txt' %}");
    await expect(loadUserTemplate(leaky, { variables: { audience: "x" } })).rejects.toThrow(
      /cannot include '\.\.\/parts\/suffix\.txt': it is outside the prompt root/,
    );
  });

  it("hashes what the template writes, not where the file is", async () => {
    const first = await loadUserTemplate(await write("a/turn.txt", turn));
    const moved = await loadUserTemplate(await write("b/elsewhere.txt", turn));
    expect(moved.hash).toBe(first.hash);
    expect(first.hash).toMatch(/^[0-9a-f]{16}$/);
    const edited = await loadUserTemplate(await write("c/turn.txt", `${turn} `));
    expect(edited.hash).not.toBe(first.hash);
    const recased = await loadUserTemplate(await write("d/turn.txt", turn), {
      tierValues: { free: "True", paid: "False" },
    });
    expect(recased.hash).not.toBe(first.hash);
  });

  it("refuses a template without the query field, a missing field and a tier without a value", async () => {
    await expect(loadUserTemplate(await write("no-query.txt", "{is_free_tier_user} only"))).rejects.toThrow(
      /no \{user_input\} or \{\{ user_input \}\} field, so the query would never reach the model/,
    );
    await expect(loadUserTemplate(await write("extra.txt", "{user_input} {mood}"))).rejects.toThrow(
      /no value for \{mood\}/,
    );
    const template = await loadUserTemplate(await write("fine.txt", turn));
    expect(() => template.render("q", "enterprise")).toThrow(/tier enterprise has no value/);
    await expect(loadUserTemplate(join(directory, "absent.txt"))).rejects.toThrow(
      /user template: file not found/,
    );
  });
});
