#!/usr/bin/env node
// Test oracle: builds trees with @openzeppelin/merkle-tree and prints roots, trees and proofs.
//
// stdin:  {"jobs": [{"kind": "standard", "encoding": ["bytes32", "uint256"],
//                    "values": [["0x..", "123"], ...], "sortLeaves": true},
//                   {"kind": "simple", "leaves": ["0x..", ...], "sortLeaves": true}, ...]}
// stdout: {"results": [{"root": "0x..", "tree": [...], "proofs": [[...], ...],
//                       "leafHashes": [...]}, ...]}
// Integers travel as decimal strings (JSON numbers lose precision above 2^53). One process
// answers many jobs, so the Python tests pay node's start-up once.
'use strict';

const { StandardMerkleTree, SimpleMerkleTree } = require('@openzeppelin/merkle-tree');
const { standardLeafHash } = require('@openzeppelin/merkle-tree/dist/hashes');

function runJob(job) {
  const options = { sortLeaves: job.sortLeaves ?? true };
  let tree;
  let leafHashes;
  if (job.kind === 'standard') {
    tree = StandardMerkleTree.of(job.values, job.encoding, options);
    leafHashes = job.values.map((value) => standardLeafHash(job.encoding, value));
  } else if (job.kind === 'simple') {
    tree = SimpleMerkleTree.of(job.leaves, options);
    leafHashes = job.leaves.map((leaf) => leaf.toLowerCase());
  } else {
    throw new Error(`unknown job kind ${job.kind}`);
  }
  const proofs = [];
  for (let i = 0; i < tree.length; i++) proofs.push(tree.getProof(i));
  return { root: tree.root, tree: tree.dump().tree, proofs, leafHashes };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  try {
    const request = JSON.parse(input);
    const results = request.jobs.map(runJob);
    process.stdout.write(JSON.stringify({ results }));
  } catch (error) {
    process.stderr.write(`merkle_oracle: ${error.stack || error}\n`);
    process.exitCode = 1;
  }
});
