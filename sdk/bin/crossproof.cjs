#!/usr/bin/env node
/**
 * The `crossproof` command. In an installed package it runs the built CLI (dist/cli/main.js). In a checkout of the
 * crossproof repository (the TypeScript source beside it and ts-node installed) it runs the source, so that
 * `npx crossproof` is never a stale build.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const source = path.join(__dirname, "..", "src", "cli", "main.ts");
let main;
if (fs.existsSync(source)) {
  let tsNode;
  try {
    tsNode = require("ts-node");
  } catch {
    tsNode = undefined;
  }
  if (tsNode !== undefined) {
    tsNode.register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.build.json") });
    main = require(source).main;
  }
}
main ??= require(path.join(__dirname, "..", "dist", "cli", "main.js")).main;
main();
