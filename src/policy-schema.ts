/**
 * The JSON Schema of a policy file (docs/policy.md), checked with ajv by policy.ts. Data only, no logic.
 */
import { CATEGORIES } from './model/finding.ts';

const hostGlob = {
  type: 'string',
  pattern: '^(\\*|(\\*\\.)?[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*\\.?)$',
} as const;
const hosts = { type: 'array', items: hostGlob } as const;
const category = { enum: [...CATEGORIES] } as const;

export const policySchema = {
  $id: 'https://toyscope.invalid/policy.schema.json',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'rules'],
  properties: {
    version: { const: 1 },
    firstParty: hosts,
    declared: {
      type: 'object',
      additionalProperties: false,
      properties: {
        thirdParties: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['categories'],
            anyOf: [{ required: ['host'] }, { required: ['operator'] }],
            properties: {
              host: hostGlob,
              operator: { type: 'string', minLength: 1 },
              categories: { type: 'array', items: { enum: [...CATEGORIES, '*'] } },
              purpose: { type: 'string' },
            },
          },
        },
        categories: { type: 'array', items: category },
      },
    },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['category', 'allow'],
        properties: {
          id: { type: 'string', minLength: 1 },
          category: { enum: [...CATEGORIES, '*'] },
          subtype: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' },
          allow: { enum: ['first-party', 'third-party', 'any', 'none'] },
          hosts,
          encrypted: { const: true },
          description: { type: 'string' },
        },
      },
    },
  },
} as const;
