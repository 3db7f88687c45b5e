/* llmdata.h — umbrella header: includes every libllmdata capability header. */
#ifndef LLMDATA_H
#define LLMDATA_H
#include "llmdata/common.h"
#include "llmdata/io.h"
#if __has_include("llmdata/text.h")
#include "llmdata/text.h"
#endif
#if __has_include("llmdata/dedup.h")
#include "llmdata/dedup.h"
#endif
#if __has_include("llmdata/tokenizer.h")
#include "llmdata/tokenizer.h"
#endif
#if __has_include("llmdata/filter.h")
#include "llmdata/filter.h"
#endif
#if __has_include("llmdata/pack.h")
#include "llmdata/pack.h"
#endif
#if __has_include("llmdata/pipeline.h")
#include "llmdata/pipeline.h"
#endif
#endif
