// ESLint (flat config). Besides the usual TypeScript and React hooks checks it enforces the
// layout of src/, as bulletproof-react does: app -> features -> shared (components, lib).
// A feature imports shared code and its own files, never another feature; shared code
// imports no feature and not the app.
import fs from 'node:fs'
import js from '@eslint/js'
import importPlugin from 'eslint-plugin-import'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const features = fs
  .readdirSync(new URL('./src/features', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)

const SHARED = ['./src/components', './src/lib']

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    extends: [importPlugin.flatConfigs.recommended, importPlugin.flatConfigs.typescript],
    plugins: { 'react-hooks': reactHooks },
    settings: {
      'import/resolver': { typescript: { project: './tsconfig.json' }, node: true },
    },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'import/no-cycle': 'error',
      'import/no-relative-packages': 'error',
      // `@/...` for anything outside the importing file's folder.
      'no-restricted-imports': ['error', { patterns: [{ group: ['../*'], message: 'Import through `@/` instead.' }] }],
      'import/no-restricted-paths': [
        'error',
        {
          zones: [
            ...features.map((feature) => ({
              target: `./src/features/${feature}`,
              from: './src/features',
              except: [`./${feature}`],
              message: 'A feature never imports another feature: move shared code to src/lib or src/components.',
            })),
            { target: './src/features', from: './src/app', message: 'Features never import the app.' },
            { target: SHARED, from: ['./src/features', './src/app'], message: 'Shared code imports no feature and not the app.' },
          ],
        },
      ],
    },
  },
)
