import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// @graft/web has no tests yet (the widget is not built): let its empty suite pass.
export default mergeConfig(shared, defineConfig({ test: { passWithNoTests: true } }));
