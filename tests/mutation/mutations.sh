# Mutations for tests/mutation/run_mutations.sh (sourced).  One line each:
#   m NAME FILE SUITES SED-SCRIPT...
# FILE is relative to the repository root; SUITES (comma-separated meson suites) is what --quick
# runs; the SED-SCRIPT arguments are passed to `sed -E`-less `sed -e` in order.  Each script matches
# a whole, stable statement (not a line number), so a mutation keeps applying while the code around
# it changes; when the statement itself changes the runner reports NOT-APPLIED, and the line here
# should be updated with it.  Every mutation is a plausible bug: a flipped comparison, an
# off-by-one, a changed constant or threshold, a dropped check, a wrong variable.

# ---- common ----
m utf8_overlong_e0     lib/common/utf8.c common,text 's/if (c == 0xE0 && s\[1\] < 0xA0) return 0;/if (c == 0xE0 \&\& s[1] < 0x90) return 0;/'
m utf8_surrogate       lib/common/utf8.c common,text 's/if (c == 0xED && s\[1\] >= 0xA0) return 0;/if (c == 0xED \&\& s[1] >= 0xB0) return 0;/'
m utf8_above_10ffff    lib/common/utf8.c common,text 's/if (c == 0xF4 && s\[1\] >= 0x90) return 0;/if (c == 0xF4 \&\& s[1] >= 0xA0) return 0;/'
m subpart_f4_limit     lib/common/utf8.c common,tokenizer 's/if (c == 0xF4) hi = 0x8F;/if (c == 0xF4) hi = 0xBF;/'
m subpart_e0_lower     lib/common/utf8.c common,tokenizer 's/if (c == 0xE0) lo = 0xA0;/if (c == 0xE0) lo = 0x80;/'
m hash128_halves       lib/common/hash.c common,dedup 's/llmd_store_le64(out, h.low64);/llmd_store_le64(out, h.high64);/'

# ---- io ----
m json_surrogate_pair  lib/io/json_doc.c io,cli 's/v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);/v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC01);/'
m json_lone_surrogate  lib/io/json_doc.c io,cli 's/v = 0xFFFD;  \/\* lone surrogate/v = 0x3F;  \/* lone surrogate/'
m json_control_char    lib/io/json_doc.c io,cli 's/^        if (c < 0x20)$/        if (c < 0x1F)/'
m reader_crlf          lib/io/reader.c io,cli 's/if (end > begin && r->text.data\[end - 1\] == .\\r.) end--;/if (0) end--;/'
m reader_max_line      lib/io/reader.c io,cli 's/if (end - begin > r->max_line)/if (end - begin > r->max_line + 1)/'

# ---- text (cleaning, PII) ----
m luhn_double          lib/text/detect.c text 's/if (k & 1) { v \*= 2; if (v > 9) v -= 9; }/if (k \& 1) { v *= 2; if (v > 10) v -= 9; }/'
m ssn_area_900         lib/text/detect.c text 's/area >= 900/area > 900/'
m ssn_area_666         lib/text/detect.c text 's/area == 666 || //'
m ipv4_octet_255       lib/text/detect.c text 's/if (len == 0 || len > 3 || v > 255 ||/if (len == 0 || len > 3 || v > 256 ||/'
m ipv4_leading_zero    lib/text/detect.c text 's/ || (len > 1 && s\[d\] == .0.)) return 0;/) return 0;/'
m iban_mod97           lib/text/detect.c text 's/return rem == 1 ? k : 0;/return rem <= 2 \&\& rem > 0 ? k : 0;/'
m card_min_digits      lib/text/detect.c text 's/if (nd < 13) return 0;/if (nd < 12) return 0;/'
m card_mastercard_2720 lib/text/detect.c text 's/p4 >= 2221 && p4 <= 2720/p4 >= 2221 \&\& p4 <= 2721/'
m card_visa_lengths    lib/text/detect.c text 's/if (d\[0\] == 4) return n == 13 || n == 16 || n == 19;/if (d[0] == 4) return n >= 13;/'
m phone_intl_digits    lib/text/detect.c text 's/return digits >= 8 && digits <= 15;/return digits >= 7 \&\& digits <= 15;/'
m clean_charref_zero   lib/text/clean.c text 's/if (cp == 0 || cp > 0x10FFFF/if (cp > 0x10FFFF/'
m clean_del_control    lib/text/clean.c text 's/else if (drop && ((c < 0x20 && c != .\\t. && c != .\\n.) || c == 0x7F)) k = K_CTRL;/else if (drop \&\& (c < 0x20 \&\& c != '"'"'\\t'"'"' \&\& c != '"'"'\\n'"'"')) k = K_CTRL;/'

# ---- dedup ----
m minhash_seed_xor     lib/dedup/minhash.c dedup 's/uint64_t state = o.seed ^ 0x6C6C6D6448617368ULL;/uint64_t state = o.seed + 0x6C6C6D6448617368ULL;/'
m minhash_a_odd        lib/dedup/minhash.c dedup 's/h->a\[i\] = (uint32_t)llmd_splitmix64(&state) | 1u;/h->a[i] = (uint32_t)llmd_splitmix64(\&state);/'
m minhash_fold32       lib/dedup/minhash.c dedup 's/return (uint32_t)(h ^ (h >> 32));/return (uint32_t)h;/'
m minhash_last_shingle lib/dedup/minhash.c dedup 's/size_t count = w->n >= n ? w->n - n + 1 : 1;/size_t count = w->n > n ? w->n - n : 1;/'
m words_numbers        lib/dedup/words.c dedup 's/return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO;/return c >= UTF8PROC_CATEGORY_LU \&\& c <= UTF8PROC_CATEGORY_ME;/'
m lsh_need             lib/dedup/lsh.c dedup 's/if (eq < x->need) continue;/if (eq <= x->need) continue;/'
m lsh_tie_rule         lib/dedup/lsh.c dedup 's/(jac == \*best_j && e < \*best)/(jac == *best_j \&\& e > *best)/'
m lsh_exact_threshold  lib/dedup/lsh.c dedup 's/if (jac < x->threshold - 1e-12) continue;/if (jac < x->threshold + 1e-3) continue;/'
m lsh_wide_band_hash   lib/dedup/lsh.c dedup 's/const uint32_t \*v = sig + (size_t)j \* rows;/const uint32_t *v = sig + (size_t)j * (rows > 64 ? 64 : rows);/'
m lsh_optimal_weights  lib/dedup/lsh.c dedup 's/double err = 0.5 \* integrate(&fp, 0.0, threshold) + 0.5 \* integrate(&fn, threshold, 1.0);/double err = 0.5 * integrate(\&fp, 0.0, threshold) + 0.4 * integrate(\&fn, threshold, 1.0);/'
m line_dedup_grow      lib/dedup/exact.c dedup 's/n\[line_probe(n, ns, ld->slots\[i\].key)\] = ld->slots\[i\];/n[line_probe(n, ld->nslots, ld->slots[i].key)] = ld->slots[i];/'
m line_dedup_min_docs  lib/dedup/exact.c dedup 's/drop = sl->key == k && sl->count >= ld->min_docs;/drop = sl->key == k \&\& sl->count > ld->min_docs;/'
m exact_set_grow       lib/dedup/exact.c dedup 's/memcpy(n + probe(n, ns, s->key_bytes, k) \* s->key_bytes, k, s->key_bytes);/memcpy(n + probe(n, s->nslots, s->key_bytes, k) * s->key_bytes, k, s->key_bytes);/'
m exact_zero_key       lib/dedup/exact.c dedup 's/if (is_zero(hash, set->key_bytes)) return set->has_zero;/if (is_zero(hash, set->key_bytes)) return 0;/'

# ---- tokenizer ----
m bpe_tie_leftmost     lib/tokenizer/bpe.c tokenizer,cli 's/return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;/return a->rank != b->rank ? a->rank < b->rank : a->pos > b->pos;/'
m bpe_rank_order       lib/tokenizer/bpe.c tokenizer,cli 's/return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;/return a->rank != b->rank ? a->rank > b->rank : a->pos < b->pos;/'
m nfc_does_nfd         lib/tokenizer/normalize.c tokenizer 's/case LLMD_TOK_N_NFC: opt |= UTF8PROC_COMPOSE; break;/case LLMD_TOK_N_NFC: opt |= UTF8PROC_DECOMPOSE; break;/'
m nfkc_no_compat       lib/tokenizer/normalize.c tokenizer 's/case LLMD_TOK_N_NFKC: opt |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;/case LLMD_TOK_N_NFKC: opt |= UTF8PROC_COMPOSE; break;/'
m strmap_grow_mask     lib/tokenizer/tokmap.c tokenizer 's/size_t j = (size_t)m->ent\[i\].hash & (slots - 1);/size_t j = (size_t)m->ent[i].hash \& m->mask;/'
m strmap_overwrite     lib/tokenizer/tokmap.c tokenizer 's/^            e->value = value;$/            (void)value;/'
m tiktoken_name_order  lib/tokenizer/tokenizer.c tokenizer 's/{"p50k_edit", "cl100k", "o200k", "r50k", "p50k", "gpt2"}/{"p50k", "cl100k", "o200k", "r50k", "p50k_edit", "gpt2"}/'
m tiktoken_base_name   lib/tokenizer/tokenizer.c tokenizer 's/^    base = base ? base + 1 : path;$/    base = path;/'

# ---- pack ----
m greedy_truncated     lib/pack/packer.c pack,cli 's/if (windows_touched > 1) p->st.docs_truncated++;/if (windows_touched > 2) p->st.docs_truncated++;/'
m bfd_exact_fit_split  lib/pack/packer.c pack 's/^    if (total > L) {$/    if (total >= L) {/'
m bfd_sort_decreasing  lib/pack/packer.c pack 's/if (pcs\[a\].len != pcs\[b\].len) return pcs\[a\].len > pcs\[b\].len ? -1 : 1;/if (pcs[a].len != pcs[b].len) return pcs[a].len < pcs[b].len ? -1 : 1;/'
m pack_special_vocab   lib/pack/packer.c pack 's/if (id >= 0 && vocab != 0 && (uint64_t)id >= vocab)/if (id >= 0 \&\& vocab != 0 \&\& (uint64_t)id > vocab)/'
m shard_uint16_limit   lib/pack/shard.c pack,cli 's/w->dsize = (o.vocab_size >= 1 && o.vocab_size <= 65536) ? 2 : 4;/w->dsize = (o.vocab_size >= 1 \&\& o.vocab_size <= 65537) ? 2 : 4;/'

# ---- filter ----
m c4_line_words        lib/filter/filter.c filter 's/if ((long long)nwords < (long long)o->c4_min_words_per_line) {/if ((long long)nwords + 1 < (long long)o->c4_min_words_per_line) {/'
m gopher_word_len_max  lib/filter/filter.c filter 's/avg > o->gopher_max_avg_word_length)/avg > o->gopher_max_avg_word_length + 1)/'
m gopher_stop_words    lib/filter/filter.c filter 's/__builtin_popcount(stop_seen) < o->gopher_min_stop_words/__builtin_popcount(stop_seen) + 1 < o->gopher_min_stop_words/'
m gopher_min_words     lib/filter/filter.c filter 's/(long long)n_ns < (long long)o->gopher_min_doc_words/(long long)n_ns + 1 < (long long)o->gopher_min_doc_words/'
m gopher_bullets       lib/filter/filter.c filter 's/(double)bullets \/ (double)nlines > o->gopher_max_bullet_lines_ratio/(double)bullets \/ (double)nlines > o->gopher_max_bullet_lines_ratio + 0.05/'

# ---- pipeline ----
m settings_threshold   lib/pipeline/settings.c pipeline,cli 's/!(v > 0 && v <= 1)/!(v >= 0 \&\& v <= 1)/'
m settings_u32_limit   lib/pipeline/settings.c pipeline,cli 's/if (v > UINT32_MAX) return bad_value/if (v > UINT32_MAX + 1ull) return bad_value/'

# ---- dedup clusters ----
m cluster_bucket_pair   lib/dedup/cluster.c dedup 's/if (b - a < 2) continue;/if (b - a < 3) continue;/'
m cluster_exact_thresh  lib/dedup/cluster.c dedup 's/return \*j >= c->threshold - 1e-12;/return *j >= c->threshold + 0.05;/'
m cluster_default_bands lib/dedup/cluster.c dedup 's/double s = threshold + 0.05 < 1.0 ? threshold + 0.05 : 1.0;/double s = threshold + 0.1 < 1.0 ? threshold + 0.1 : 1.0;/'

# ---- langid ----
m langid_subword_minn   lib/langid/predict.c langid 's/if (len >= m->minn && !(len == 1 \&\& (i == 0 || j == n))) {/if (len > m->minn \&\& !(len == 1 \&\& (i == 0 || j == n))) {/'
m langid_subword_maxn   lib/langid/predict.c langid 's/for (int64_t len = 1; j < n && len <= m->maxn; len++) {/for (int64_t len = 1; j < n \&\& len < m->maxn; len++) {/'

# ---- parquet ----
m pq_bit_width          lib/parquet/encoding.c parquet 's/^    while (max_value) {$/    while (max_value > 1) {/'
m pq_unpack_mask        lib/parquet/encoding.c parquet 's/return bit_width == 64 ? v : v & ((UINT64_C(1) << bit_width) - 1);/return v;/'
m thrift_zigzag         lib/parquet/thrift.c parquet 's/\*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);/*v = (int64_t)(u >> 1);/'

# ---- delta ----
m delta_checkpoint_every lib/delta/txn.c delta 's/if (interval < 1 || version % interval != 0) return;/if (interval < 1 || version % interval != 1) return;/'
m delta_remove_keeps    lib/delta/log.c delta 's/^        file_free(dl_map_del(&s->files, f->key));$/        (void)0;/'

# ---- feature ----
m feature_ttl_inclusive lib/feature/join.c feature 's/pos\[j\] = lo_i == a\[j\] || ts\[lo_i - 1\] < lo ? -1/pos[j] = lo_i == a[j] || ts[lo_i - 1] <= lo ? -1/'
m feature_join_no_future lib/feature/join.c feature 's/if (ts\[mid\] <= T) lo_i = mid + 1;/if (ts[mid] < T) lo_i = mid + 1;/'
m feature_window_start  lib/feature/source.c feature 's/if (a == first || ts\[a - 1\] < lo) return -1;/if (a == first || ts[a - 1] <= lo) return -1;/'
m feature_no_future     lib/feature/source.c feature 's/if (ts\[m\] <= hi) a = m + 1;/if (ts[m] < hi) a = m + 1;/'

# ---- allocation failures (tests/test_nomem.c) ----
m nomem_status          lib/common/error.c nomem 's/return llmd_fail(LLMD_ERR_NOMEM, "out of memory while %s", what);/return llmd_fail(LLMD_ERR_INTERNAL, "out of memory while %s", what);/'
m nomem_stale_manifest  lib/pack/shard.c nomem 's/if (st == LLMD_ERR_NOMEM) return st; \/\* not knowing/if (0) return st; \/* not knowing/'
m nomem_lsh_load        lib/dedup/lsh.c nomem 's/^        if (st != LLMD_ERR_NOMEM) {$/        if (1) {/'
m nomem_pcre2_heap      lib/text/redact.c nomem 's/ || err == PCRE2_ERROR_HEAP_FAILED) return/) return/'
m cluster_wide_band    lib/dedup/cluster.c dedup 's/const uint32_t \*v = sig + (size_t)j \* rows;/const uint32_t *v = sig + (size_t)j * (rows > 64 ? 64 : rows);/'
