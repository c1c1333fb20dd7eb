// SPDX-License-Identifier: Apache-2.0
// node validate.mjs TOOLS FILE.yaml...
//
// Validates Kubernetes manifests offline, as the API server would with
// strict field validation:
//  1. every document against the Kubernetes OpenAPI schema of its
//     apiVersion and kind, with the npm package kubernetes-models (types,
//     required fields, enums, formats);
//  2. no field that the API does not know (a misspelt `hostPid` would
//     otherwise be dropped silently by the server), by type-checking the
//     documents against kubernetes-models' type definitions with the
//     TypeScript compiler, whose excess-property check is exactly that.
// TOOLS is the directory where `npm install` put this directory's
// package.json (contrib/build.sh deps does).  Exit 0 when every document
// passes, 1 with one line per problem otherwise, 2 on bad usage.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";

const [tools, ...files] = process.argv.slice(2);
if (!tools || files.length === 0) {
	console.error("usage: node validate.mjs TOOLS FILE.yaml...");
	process.exit(2);
}
const require = createRequire(join(resolve(tools), "package.json"));
const YAML = require("yaml");
const ts = require("typescript");

let problems = 0;
const problem = (where, msg) => {
	console.log(`${where}: ${msg}`);
	problems++;
};

// The kubernetes-models module of an apiVersion and kind: "apps/v1" and
// "DaemonSet" are kubernetes-models/apps/v1/DaemonSet.
function modelPath(doc) {
	return `kubernetes-models/${doc.apiVersion}/${doc.kind}`;
}

const docs = [];
for (const file of files) {
	const text = readFileSync(file, "utf8");
	YAML.parseAllDocuments(text).forEach((d, i) => {
		const where = `${file}[${i}]`;
		for (const e of [...d.errors, ...d.warnings])
			problem(where, `YAML: ${e.message}`);
		const doc = d.toJS();
		if (doc === null || doc === undefined)
			return;
		if (typeof doc !== "object" || !doc.apiVersion || !doc.kind) {
			problem(where, "not a Kubernetes object (no apiVersion or kind)");
			return;
		}
		docs.push({ where, doc });
	});
}

// 1. The OpenAPI schema.
for (const { where, doc } of docs) {
	let Model;
	try {
		Model = require(modelPath(doc))[doc.kind];
	} catch {
		problem(where, `unknown apiVersion/kind ${doc.apiVersion}/${doc.kind}`);
		continue;
	}
	try {
		new Model(doc).validate();
	} catch (e) {
		problem(where, `${doc.kind} ${doc.metadata?.name}: ${e.message}`);
	}
}

// 2. Unknown fields: each document as a literal of its interface.
const dir = mkdtempSync(join(tmpdir(), "k8s-validate-"));
try {
	const lines = [];
	const where = [];
	docs.forEach(({ where: w, doc }, i) => {
		lines.push(`import type { I${doc.kind} as T${i} } from ${JSON.stringify(modelPath(doc))};`);
	});
	docs.forEach(({ where: w, doc }, i) => {
		where[lines.length] = w;
		lines.push(`export const doc${i}: T${i} = ${JSON.stringify(doc)};`);
	});
	const src = join(dir, "manifests.ts");
	writeFileSync(src, lines.join("\n") + "\n");
	const program = ts.createProgram([src], {
		strict: true, noEmit: true, skipLibCheck: true,
		module: ts.ModuleKind.CommonJS,
		moduleResolution: ts.ModuleResolutionKind.Node10,
		typeRoots: [], types: [],
		baseUrl: join(resolve(tools), "node_modules"),
		paths: { "*": [join(resolve(tools), "node_modules", "*")] },
	});
	for (const d of ts.getPreEmitDiagnostics(program)) {
		let at = "manifests";
		if (d.file && d.start !== undefined) {
			const { line } = d.file.getLineAndCharacterOfPosition(d.start);
			at = where[line] ?? at;
		}
		problem(at, ts.flattenDiagnosticMessageText(d.messageText, " "));
	}
} finally {
	rmSync(dir, { recursive: true, force: true });
}

if (problems === 0)
	console.log(`${docs.length} documents valid`);
process.exit(problems === 0 ? 0 : 1);
