/* llmdata.h — umbrella header: includes every libllmdata capability header. */
#ifndef LLMDATA_H
#define LLMDATA_H
#include "llmdata/common.h"
#include "llmdata/io.h"
#include "llmdata/text.h"
#include "llmdata/langid.h"
#include "llmdata/dedup.h"
#include "llmdata/tokenizer.h"
#include "llmdata/filter.h"
#include "llmdata/pack.h"
#include "llmdata/feature.h"
#include "llmdata/parquet.h"
#include "llmdata/delta.h"
#include "llmdata/pipeline.h"
#endif
