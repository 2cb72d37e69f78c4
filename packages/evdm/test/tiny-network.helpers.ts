// A U-Net small enough for tests that run whole networks (two levels of 8x8 frames, one attention).
export const TINY_NETWORK = {
  baseChannels: 8,
  channelMult: [1, 2],
  imageSize: 8,
  attnResolutions: [4],
  imageChannels: 1,
  pastFrames: 2,
  currentFrames: 1,
  headChannels: 8,
};
