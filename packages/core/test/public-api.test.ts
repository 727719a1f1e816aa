import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist');

/** The names a published declaration file exports, as a TypeScript consumer sees them. */
function exportedNames(entry: string): string[] {
  const file = join(dist, entry);
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file} is missing: build @graft/core first`);
  const module = checker.getSymbolAtLocation(source)!;
  return checker
    .getExportsOfModule(module)
    .map((s) => s.name)
    .sort();
}

/** What an application needs: create or load, train, predict, save — and the types of those calls. */
const PUBLIC_API = [
  'AugmentOptions',
  'CORE_VERSION',
  'Classifier',
  'ClassifierEvaluation',
  'ClassifierManifest',
  'ClassifierOptions',
  'DEFAULTS',
  'EarlyStoppingOptions',
  'EpochLog',
  'FeatureExtractor',
  'FineTuneOptions',
  'FitOptions',
  'HeadOptions',
  'ImageSource',
  'LabeledImage',
  'Prediction',
  'ProgressEvent',
  'RgbImage',
  'TrainOptions',
  'TrainingCallbacks',
  'TrainingHistory',
  'TrainingState',
  'checkpoint',
  'createClassifier',
  'createFeatureExtractor',
  'loadClassifier',
].sort();

describe('the published types', () => {
  it('@graft/core exports the application API and nothing else', () => {
    expect(exportedNames('index.d.ts')).toEqual(PUBLIC_API);
  });

  it('@graft/core in Node adds only the file:// handlers', () => {
    const extra = exportedNames('node/index.d.ts').filter((n) => !PUBLIC_API.includes(n));
    expect(extra).toEqual(['fileLoadHandler', 'fileSaveHandler', 'registerFileRouters']);
  });

  it('the building blocks and the replica pieces live in their own entries, each name in one place', () => {
    const advanced = exportedNames('advanced.d.ts');
    const replica = exportedNames('replica.d.ts');
    expect(advanced).toEqual(
      expect.arrayContaining(['fitLinearProbe', 'InMemoryFeatureCache', 'MODEL_FILES']),
    );
    expect(replica).toEqual(
      ['Replica', 'ReplicaGradients', 'ReplicaPart', 'ReplicaSetup', 'StepWorkers', 'createReplica'].sort(),
    );
    for (const name of [...advanced, ...replica]) expect(PUBLIC_API, name).not.toContain(name);
    for (const name of replica) expect(advanced, name).not.toContain(name);
  });

  it('members marked @internal are not in the published types', () => {
    const text = ts.sys.readFile(join(dist, 'classifier/classifier.d.ts'))!;
    expect(text).toContain('fineTune(');
    for (const internal of ['asReplica', 'markBackboneChanged', 'useServices'])
      expect(text).not.toContain(internal);
  });
});
