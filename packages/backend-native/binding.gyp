{
  "targets": [
    {
      "target_name": "evdm_native",
      "sources": ["native/addon.cc", "native/conv.cc", "native/matmul.cc", "native/group_norm.cc", "native/strided.cc", "native/reduce.cc", "native/channel_gather.cc", "native/grouped_conv.cc", "native/dropout.cc", "native/optimizer.cc", "native/favor_attention.cc", "native/pool.cc", "native/conv_bands.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<!(node -p \"process.env.EVDM_DNNL_INCLUDE || '/usr/include'\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fopenmp", "-march=<!(node -p \"process.env.EVDM_MARCH || 'native'\")", "-fno-math-errno", "-ffinite-math-only", "-fno-trapping-math", "-ffp-contract=off", "-mprefer-vector-width=512"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl"]
    }
  ]
}
