// G-TransEval test driver for JavaScript candidates (record protocol v1, see codeeff/tasks/gtranseval/verdict.py).
//
// Runs inside the sandbox next to candidate.js, gte_input.json and gte_nonce. It knows the test inputs only: for
// each test id it calls the candidate's entry function and prints one framed record with the returned value (or the
// exception). The host compares the values with the expected ones; nothing here decides pass or fail.
"use strict";
const fs = require("fs");
const path = require("path");

const MAX_DEPTH = 200;
const noncePath = path.join(__dirname, "gte_nonce");
const NONCE = fs.readFileSync(noncePath, "ascii").trim();
try {
  fs.unlinkSync(noncePath);
} catch (e) {
  // a read-only work directory keeps the file; the nonce stays unguessable to code that does not read it
}
const writeSync = fs.writeSync;
const stringify = JSON.stringify;

function emit(record) {
  const data = Buffer.from("\n@@GTE:" + NONCE + "@@" + stringify(record) + "\n", "utf8");
  let offset = 0;
  while (offset < data.length) offset += writeSync(1, data, offset, data.length - offset);
}

function describe(e) {
  let text;
  try {
    text = e instanceof Error ? e.name + ": " + e.message : "thrown " + String(e);
  } catch (inner) {
    text = "thrown value";
  }
  return text.slice(0, 500);
}

function encodeNumber(x) {
  if (Number.isNaN(x)) return ["float", "nan", "number"];
  if (!Number.isFinite(x)) return ["float", x > 0 ? "inf" : "-inf", "number"];
  return ["float", String(x), "number"];
}

function encode(v, depth) {
  if (depth > MAX_DEPTH) return ["other", "nesting deeper than " + MAX_DEPTH];
  if (v === null || v === undefined) return ["null"];
  if (typeof v === "boolean") return ["bool", v];
  if (typeof v === "number") return encodeNumber(v);
  if (typeof v === "bigint") return ["int", v.toString(), "bigint"];
  if (typeof v === "string") return ["str", v, "string"];
  if (Array.isArray(v)) return ["list", Array.from(v, (x) => encode(x, depth + 1)), "Array"];
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return ["list", Array.from(v, (x) => encode(x, depth + 1)), v.constructor.name];
  }
  if (v instanceof Map) {
    return ["map", Array.from(v.entries(), ([k, x]) => [encode(k, depth + 1), encode(x, depth + 1)]), "Map"];
  }
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return ["map", Object.entries(v).map(([k, x]) => [["str", k, "objkey"], encode(x, depth + 1)]), "object"];
  }
  const name = typeof v === "object" && v.constructor ? v.constructor.name : typeof v;
  return ["other", String(name)];
}

function decode(w) {
  switch (w[0]) {
    case "null":
      return null;
    case "bool":
      return w[1];
    case "int":
    case "float":
      return Number(w[1]);
    case "str":
      return w[1];
    case "list":
      return w[1].map(decode);
    case "map":
      return new Map(w[1].map(([k, x]) => [decode(k), decode(x)]));
    default:
      throw new Error("unknown input tag " + w[0]);
  }
}

function loadEntry(source, entry) {
  if (entry === null) {
    emit({ error: "no_function", detail: "the candidate defines no function" });
    return undefined;
  }
  let factory;
  try {
    factory = new Function("require", "module", "exports", source + "\n;return (" + entry + ");");
  } catch (e) {
    emit({ error: e instanceof SyntaxError ? "syntax" : "load", detail: describe(e) });
    return undefined;
  }
  try {
    const mod = { exports: {} };
    return factory(require, mod, mod.exports);
  } catch (e) {
    emit({ error: "load", detail: describe(e) });
    return undefined;
  }
}

function main() {
  const spec = JSON.parse(fs.readFileSync(path.join(__dirname, "gte_input.json"), "utf8"));
  const source = fs.readFileSync(path.join(__dirname, "candidate.js"), "utf8");
  const fn = loadEntry(source, spec.entry);
  if (fn !== undefined) {
    spec.tests.forEach((args, id) => {
      let value;
      try {
        value = fn(...args.map(decode));
      } catch (e) {
        emit({ id, raised: describe(e) });
        return;
      }
      let wire;
      try {
        wire = encode(value, 0);
      } catch (e) {
        wire = ["other", "unencodable: " + describe(e)];
      }
      emit({ id, value: wire });
    });
  }
  process.exit(0);
}

main();
