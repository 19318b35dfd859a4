// Runs one Node.js SHACL engine over a data file and a shapes file and prints the same
// one-line summary as `mpli shacl validate --report summary`, so bench/shacl/run.sh can
// compare result counts across engines.
//
// usage: node validate.mjs <shacl-engine|rdf-validate-shacl> --data D --shapes S
// exit: 0 conforms, 1 does not conform, 2 error (same contract as mpli).
import fs from 'node:fs';
import path from 'node:path';
import { StreamParser } from 'n3';
import dataModel from '@rdfjs/data-model';
import datasetFactory from '@rdfjs/dataset';

function usage(msg) {
  process.stderr.write(`${msg}\nusage: node validate.mjs <shacl-engine|rdf-validate-shacl> --data D --shapes S\n`);
  process.exit(2);
}

const [engine, ...rest] = process.argv.slice(2);
const opts = {};
for (let i = 0; i < rest.length; i += 2) {
  if (!rest[i].startsWith('--') || rest[i + 1] === undefined) usage(`bad argument ${rest[i]}`);
  opts[rest[i].slice(2)] = rest[i + 1];
}
if (!opts.data || !opts.shapes) usage('missing --data or --shapes');

// N-Triples is a subset of Turtle, so one streaming Turtle parser covers both formats;
// streaming keeps the multi-hundred-MB input from being held as one string.
function load(file) {
  return new Promise((resolve, reject) => {
    const dataset = datasetFactory.dataset();
    const format = path.extname(file) === '.nt' ? 'application/n-triples' : 'text/turtle';
    const parser = new StreamParser({ format, baseIRI: `file://${path.resolve(file)}` });
    fs.createReadStream(file)
      .on('error', reject)
      .pipe(parser)
      .on('data', (q) => dataset.add(q))
      .on('error', (e) => reject(new Error(`${file}: ${e.message}`)))
      .on('end', () => resolve(dataset));
  });
}

async function validateWithShaclEngine(shapes, data) {
  const { Validator } = await import('shacl-engine');
  // @rdfjs/data-model's factory keeps its methods on the prototype, so bind them explicitly.
  const factory = {
    namedNode: (v) => dataModel.namedNode(v),
    blankNode: (v) => dataModel.blankNode(v),
    literal: (v, l) => dataModel.literal(v, l),
    variable: (v) => dataModel.variable(v),
    defaultGraph: () => dataModel.defaultGraph(),
    quad: (s, p, o, g) => dataModel.quad(s, p, o, g),
    dataset: (quads) => datasetFactory.dataset(quads),
  };
  const validator = new Validator(shapes, { factory });
  return validator.validate({ dataset: data });
}

async function validateWithRdfValidateShacl(shapes, data) {
  const { default: SHACLValidator } = await import('rdf-validate-shacl');
  const validator = new SHACLValidator(shapes);
  return validator.validate(data);
}

const engines = {
  'shacl-engine': validateWithShaclEngine,
  'rdf-validate-shacl': validateWithRdfValidateShacl,
};
if (!engines[engine]) usage(`unknown engine ${engine}`);

try {
  const [shapes, data] = await Promise.all([load(opts.shapes), load(opts.data)]);
  const report = await engines[engine](shapes, data);
  const results = report.results.length;
  process.stdout.write(`conforms=${report.conforms} results=${results}\n`);
  process.exit(report.conforms ? 0 : 1);
} catch (e) {
  process.stderr.write(`error: ${e.stack || e}\n`);
  process.exit(2);
}
