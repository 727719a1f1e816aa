// Vitest setup for every package (vitest.shared.ts): tells tfjs-core it runs under test, so that
// tfjs-backend-cpu's "install our node backend" banner and other tfjs console warnings stay out of
// the test output. One tfjs-core is installed in the workspace, so this is the tests' own instance.
import * as tfc from '@tensorflow/tfjs-core';

tfc.env().set('IS_TEST', true);
