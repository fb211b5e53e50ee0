// ESLint flat config: typescript-eslint's recommended rules for every TypeScript file, and the
// React hooks rules for the TUI (effect dependency lists are checked by no compiler).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'samples/', '**/*.js', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.tsx', 'src/tui/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Control bytes are this tool's subject: it escapes those of traced programs, and its tests
      // look for escape sequences on screens.
      'no-control-regex': 'off',
    },
  },
);
