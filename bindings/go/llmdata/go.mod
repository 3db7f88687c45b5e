module github.com/libllmdata/libllmdata/bindings/go/llmdata

go 1.19
