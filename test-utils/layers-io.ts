// Saves a tfjs-layers model the way `model.save('file://...')` does (topology through JSON text,
// weights as one buffer) and loads it back with `tf.loadLayersModel`, all in memory.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export async function saveAndLoad(model: tfl.LayersModel): Promise<{ loaded: tfl.LayersModel; topology: unknown }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // A file round trip stringifies the topology: nothing may survive only as a live JS object.
  const topology = JSON.parse(JSON.stringify(saved!.modelTopology));
  const loaded = await tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: topology, weightSpecs: saved!.weightSpecs, weightData: saved!.weightData }),
  );
  return { loaded, topology };
}
