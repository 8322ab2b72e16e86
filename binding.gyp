{
  "targets": [
    {
      "target_name": "hawkgraph",
      "sources": [
        "<!@(node -p \"const s=require('./native/sources.json'); s.core.concat(s.backends, s.addon, s.cuda_unavailable).join(' ')\")"
      ],
      "dependencies": ["hawkgraph_cpu_avx2", "hawkgraph_cpu_avx512", "hawkgraph_cpu_amx", "hawkgraph_hawkes_avx512", "hawkgraph_hawkes_avx2", "hawkgraph_sha_ni"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
                  "HAWKGRAPH_CUDA_ABSENT_REASON=\"built by node-gyp (CPU only)\""],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] }
      }
    },
    # Each SIMD kernel table is compiled alone with its ISA's flags and chosen at run time from
    # cpuid, so the addon still loads on any x86-64 (and builds on arm64, where they are stubs).
    {
      "target_name": "hawkgraph_cpu_avx2",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('./native/sources.json').cpu_avx2.join(' ')\")"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-fPIC"],
      "conditions": [["target_arch=='x64' and OS!='win'", {"cflags_cc": ["-mavx2", "-mfma", "-mf16c", "-ffp-contract=fast"]}]]
    },
    {
      "target_name": "hawkgraph_cpu_avx512",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('./native/sources.json').cpu_avx512.join(' ')\")"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-fPIC"],
      "conditions": [["target_arch=='x64' and OS!='win'", {"cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512bf16", "-mavx2", "-mfma", "-mf16c", "-mprefer-vector-width=512", "-ffp-contract=fast"]}]]
    },
    {
      "target_name": "hawkgraph_cpu_amx",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('./native/sources.json').cpu_amx.join(' ')\")"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-fPIC"],
      "conditions": [["target_arch=='x64' and OS!='win'", {"cflags_cc": ["-mamx-tile", "-mamx-bf16", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512bf16", "-mavx2", "-mfma", "-mf16c"]}]]
    },
    {
      "target_name": "hawkgraph_hawkes_avx512",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('./native/sources.json').hawkes_avx512.join(' ')\")"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-fPIC"],
      "conditions": [["target_arch=='x64' and OS!='win'", {"cflags_cc": ["-mavx512f", "-mavx512dq", "-mavx512vl", "-mavx512bw", "-mfma", "-ffp-contract=off"]}]]
    },
    {
      "target_name": "hawkgraph_hawkes_avx2",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('./native/sources.json').hawkes_avx2.join(' ')\")"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-fPIC"],
      "conditions": [["target_arch=='x64' and OS!='win'", {"cflags_cc": ["-mavx2", "-mfma", "-ffp-contract=off"]}]]
    },
    {
      "target_name": "hawkgraph_sha_ni",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('./native/sources.json').sha_ni.join(' ')\")"],
      "cflags_cc": ["-std=c++17", "-O3", "-fvisibility=hidden", "-fPIC"],
      "conditions": [["target_arch=='x64' and OS!='win'", {"cflags_cc": ["-msha", "-msse4.1", "-mssse3"]}]]
    }
  ]
}
