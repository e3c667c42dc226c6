// Checks Mermaid files with Mermaid's own parser (the `mermaid` package pinned in
// package-lock.json; its DOM needs come from jsdom), as tests/clients/test_graph.py
// uses it on the output of `asl graph --format mermaid`.
//
//   node mermaid_check.mjs [--json OUT] FILE...
//
// Every file must parse as a flowchart (`mermaid.parse`, the real flowchart
// grammar). Exit 0 when all do; else 1, naming each file that failed and why.
// With --json, OUT gets one JSON object {FILE: {ok, error, nodes, subgraphs}}:
// `nodes` maps node ids to their labels and `subgraphs` lists subgraph titles,
// as Mermaid parsed them, entity codes (#quot; #35; ...) decoded to text.
import { readFileSync, writeFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

// Mermaid sanitizes labels with DOMPurify, which needs a window.
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

const args = process.argv.slice(2);
let json = null;
if (args[0] === '--json') {
    json = args[1];
    args.splice(0, 2);
}
const files = args;
if (files.length === 0 || json === undefined) {
    console.error('usage: node mermaid_check.mjs [--json OUT] FILE...');
    process.exit(2);
}

// Mermaid keeps entity codes as placeholders at parse time and decodes them when it
// draws (its decodeEntities, then the browser's HTML parser); do the same here.
const scratch = dom.window.document.createElement('textarea');
function decode(text) {
    scratch.innerHTML = String(text ?? '')
        .replace(/ﬂ°°/g, '&#')
        .replace(/ﬂ°/g, '&')
        .replace(/¶ß/g, ';');
    return scratch.value;
}

const results = {};
const failed = [];
for (const file of files) {
    const result = { ok: false, error: null, nodes: {}, subgraphs: [] };
    results[file] = result;
    try {
        const text = readFileSync(file, 'utf8');
        if (json) {
            // What mermaid.parse(text) runs (mermaidAPI.parse: getDiagramFromText on
            // the preprocessed text), keeping the parsed diagram to read its labels.
            const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
            if (diagram.type !== 'flowchart-v2') {
                throw new Error(`parsed as ${diagram.type}, not a flowchart`);
            }
            for (const v of diagram.db.getVertices().values()) {
                result.nodes[v.id] = decode(v.text);
            }
            result.subgraphs = diagram.db.getSubGraphs().map((s) => decode(s.title));
        } else {
            const parsed = await mermaid.parse(text);
            if (parsed.diagramType !== 'flowchart-v2') {
                throw new Error(`parsed as ${parsed.diagramType}, not a flowchart`);
            }
        }
        result.ok = true;
    } catch (e) {
        result.error = String(e?.message ?? e);
        failed.push(file);
    }
}

if (json) {
    // A file, not stdout: process.exit() would cut a long piped stdout short.
    writeFileSync(json, JSON.stringify(results) + '\n');
}
for (const file of failed) {
    console.error(`mermaid_check: ${file}: ${results[file].error.split('\n').slice(0, 4).join('\n  ')}`);
}
console.log(`mermaid_check: ${files.length - failed.length} of ${files.length} parsed`);
process.exit(failed.length ? 1 : 0);
