/* Check suite for the text module: cleaning and PII redaction.
 *
 * Where expectations come from (independent of this code):
 *  - HTML character references: the WHATWG HTML spec, "Named character references" table and
 *    "Numeric character reference end state" (0 / surrogates / > 10FFFF -> U+FFFD, 0x80-0x9F via
 *    the Windows-1252 table: 0x96 -> U+2013 EN DASH, 0x80 -> U+20AC EURO SIGN).
 *  - Normalisation: UAX #15 (e + U+0301 -> U+00E9; U+212B ANGSTROM SIGN -> U+00C5 in NFC;
 *    U+FB01 LATIN SMALL LIGATURE FI -> "fi" in NFKC only; jamo U+1100 U+1161 -> U+AC00), checked by
 *    hand against Python's unicodedata.normalize.
 *  - Invalid UTF-8: Unicode 15 ch. 3 "U+FFFD Substitution of Maximal Subparts" (Table 3-8):
 *    F0 9F 98 (truncated) -> one U+FFFD; C0 AF -> two; ED A0 80 (surrogate) -> three.
 *  - Credit cards: Stripe's published test numbers (stripe.com/docs/testing): 4242424242424242 Visa,
 *    5555555555554444 Mastercard, 378282246310005 Amex, 6011111111111117 Discover,
 *    3056930009020004 Diners, 3566002020360505 JCB, 6200000000000005 UnionPay; Luhn by hand.
 *  - IBANs: ECBS / SWIFT IBAN registry examples GB82 WEST 1234 5698 7654 32,
 *    DE89 3704 0044 0532 0130 00, FR14 2004 1010 0505 0001 3M02 606, NL91 ABNA 0417 1643 00,
 *    CH93 0076 2011 6238 5295 7, BE68 5390 0754 7034.
 *  - SSNs: SSA rules (no area 000, 666 or 900-999, no group 00, no serial 0000).
 *  - IPv4: RFC 5737 documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24.
 *  - IPv6: RFC 4291 §2.2 examples (2001:DB8:0:0:8:800:200C:417A, FF01::101, ::1,
 *    ::13.1.68.3, ::FFFF:129.144.52.38) and RFC 5952 (2001:db8::1).
 *  - Phones: NANP rules (area and exchange codes start with 2-9); 555-0100..0199 fictional range;
 *    Ofcom's drama range +44 20 7946 0xxx.
 *  - Secrets: AWS docs' example key id AKIAIOSFODNN7EXAMPLE, jwt.io's example token, the
 *    documented prefixes of GitHub (ghp_ + 36), Slack (xoxb-), Stripe (sk_live_), Google (AIza + 35).
 */
#include <pthread.h>
#include <time.h>

#include "testutil.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static char *clean_with(const char *in, size_t len, const llmd_clean_options *o) {
    char *out = NULL;
    size_t n = 0;
    ck_ok(llmd_clean_text(in, len, o, &out, &n));
    ck_assert_uint_eq(strlen(out), n);
    return out;
}

#define CK_CLEAN(opts, in, want) do { char *got_ = clean_with((in), strlen(in), (opts)); \
    ck_assert_msg(strcmp(got_, (want)) == 0, "clean(%s) = [%s], want [%s]", #in, got_, (want)); \
    llmd_free(got_); } while (0)

static llmd_redactor *new_redactor(uint32_t types, const char *tmpl) {
    llmd_redactor_options o = LLMD_REDACTOR_OPTIONS_INIT;
    o.types = types;
    o.replacement = tmpl;
    llmd_redactor *r = NULL;
    ck_ok(llmd_redactor_new(&r, &o));
    return r;
}

static char *redact(const llmd_redactor *r, const char *in) {
    char *out = NULL;
    size_t n;
    ck_ok(llmd_redactor_redact(r, in, strlen(in), &out, &n, NULL, NULL));
    return out;
}

/* Asserts that `in` redacts to `want` with the default template. */
static void expect_redact(const llmd_redactor *r, const char *in, const char *want) {
    char *got = redact(r, in);
    ck_assert_msg(strcmp(got, want) == 0, "redact(\"%s\") = \"%s\", want \"%s\"", in, got, want);
    llmd_free(got);
}

/* Asserts `in` contains exactly one span, of type `type`, covering the substring `what`. */
static void expect_one(const llmd_redactor *r, const char *in, const char *type, const char *what) {
    llmd_pii_span *sp = NULL;
    size_t n = 0;
    ck_ok(llmd_redactor_find(r, in, strlen(in), &sp, &n));
    ck_assert_msg(n == 1, "\"%s\": %zu spans, want 1 (%s)", in, n, type);
    const char *at = strstr(in, what);
    ck_assert_ptr_nonnull(at);
    ck_assert_str_eq(sp[0].type, type);
    ck_assert_msg(sp[0].start == (size_t)(at - in) && sp[0].end == sp[0].start + strlen(what),
                  "\"%s\": span %zu-%zu, want %zu-%zu", in, sp[0].start, sp[0].end, (size_t)(at - in),
                  (size_t)(at - in) + strlen(what));
    llmd_free(sp);
}

static void expect_none(const llmd_redactor *r, const char *in) {
    llmd_pii_span *sp = NULL;
    size_t n = 0;
    ck_ok(llmd_redactor_find(r, in, strlen(in), &sp, &n));
    ck_assert_msg(n == 0, "\"%s\": %zu spans (first %s %zu-%zu), want none", in, n, n ? sp[0].type : "",
                  n ? sp[0].start : 0, n ? sp[0].end : 0);
    llmd_free(sp);
}

/* ---- cleaning --------------------------------------------------------------------------------- */

START_TEST(test_clean_html_tags) {
    CK_CLEAN(NULL, "<p>Hello <b>wor</b>ld</p><p>again</p>", "Hello world again");
    CK_CLEAN(NULL, "<div class=\"a>b\" data-x='>'>in</div>out", "in out");
    CK_CLEAN(NULL, "a<br/>b<BR>c", "a b c");
    CK_CLEAN(NULL, "<script type=\"text/javascript\">if (a < b) { x = '</p>'; }</script>after",
             "after");
    CK_CLEAN(NULL, "<STYLE>p { color: red }</sTyLe>body", "body");
    CK_CLEAN(NULL, "x<script>never closed", "x");
    CK_CLEAN(NULL, "a<!-- hidden <b>x</b> -->b<!---->c<!-->d", "abcd");
    CK_CLEAN(NULL, "a<!-- never closed", "a");
    CK_CLEAN(NULL, "<!DOCTYPE html><?xml version=\"1.0\"?>text", "text");
    CK_CLEAN(NULL, "x<![CDATA[a < b && c]]>y", "xa < b && cy");
    /* Not tags: kept as text. */
    CK_CLEAN(NULL, "a < b and c > d", "a < b and c > d");
    CK_CLEAN(NULL, "Ian <ian@example.org> wrote", "Ian <ian@example.org> wrote");
    CK_CLEAN(NULL, "see <https://example.org/>", "see <https://example.org/>");
    CK_CLEAN(NULL, "1 <2 and <b never closed", "1 <2 and <b never closed");
}
END_TEST

START_TEST(test_clean_entities) {
    CK_CLEAN(NULL, "AT&amp;T &lt;b&gt; &quot;q&quot; &apos;s&apos;", "AT&T <b> \"q\" 's'");
    CK_CLEAN(NULL, "caf&eacute; &euro;5 &hellip; &copy;", "caf\xC3\xA9 \xE2\x82\xAC" "5 \xE2\x80\xA6 \xC2\xA9");
    CK_CLEAN(NULL, "&NotEqualTilde;", "\xE2\x89\x82\xCC\xB8");           /* U+2242 U+0338 */
    CK_CLEAN(NULL, "&#65;&#x42;&#X43;&#68", "ABCD");
    CK_CLEAN(NULL, "&#150;&#x80;", "\xE2\x80\x93\xE2\x82\xAC");       /* Windows-1252 remap */
    CK_CLEAN(NULL, "[&#0;][&#xD800;][&#x110000;][&#99999999999;]",
             "[\xEF\xBF\xBD][\xEF\xBF\xBD][\xEF\xBF\xBD][\xEF\xBF\xBD]");
    CK_CLEAN(NULL, "&#x1F600;", "\xF0\x9F\x98\x80");
    /* &#x81; is unmapped in Windows-1252: it stays U+0081, a C1 control, which cleaning drops. */
    CK_CLEAN(NULL, "a&#x81;b", "ab");
    CK_CLEAN(NULL, "&bogus; & &; &#; &#x; AT&T R&D", "&bogus; & &; &#; &#x; AT&T R&D");
    /* Legacy references without ';' (WHATWG: "&copy" is in the table, the longest prefix wins). */
    CK_CLEAN(NULL, "&copy 2024 &amp &notit; &notin;", "\xC2\xA9 2024 & \xC2\xACit; \xE2\x88\x89");
    CK_CLEAN(NULL, "a&nbsp;&nbsp;b", "a b");
    /* Decoded '<' is text, never markup. */
    CK_CLEAN(NULL, "&lt;script&gt;x&lt;/script&gt;", "<script>x</script>");
    llmd_clean_options o = LLMD_CLEAN_OPTIONS_INIT;
    o.html = 0;
    CK_CLEAN(&o, "<b>AT&amp;T</b>", "<b>AT&amp;T</b>");
}
END_TEST

START_TEST(test_clean_normalization) {
    CK_CLEAN(NULL, "e\xCC\x81", "\xC3\xA9");                        /* e + U+0301 -> é */
    CK_CLEAN(NULL, "\xE2\x84\xAB", "\xC3\x85");                     /* U+212B -> U+00C5 */
    CK_CLEAN(NULL, "\xEF\xAC\x81", "\xEF\xAC\x81");                 /* ﬁ kept by NFC */
    CK_CLEAN(NULL, "\xE1\x84\x80\xE1\x85\xA1", "\xEA\xB0\x80");     /* jamo -> 가 */
    CK_CLEAN(NULL, "caf\xC3\xA9 ok", "caf\xC3\xA9 ok");
    CK_CLEAN(NULL, "a\xCC\xA3\xCC\x87 x", "\xE1\xBA\xA1\xCC\x87 x"); /* a+dot below+dot above -> ạ + U+0307 */
    llmd_clean_options o = LLMD_CLEAN_OPTIONS_INIT;
    o.normalization = LLMD_NORM_NFKC;
    CK_CLEAN(&o, "\xEF\xAC\x81le \xEF\xBC\xA1", "file A");         /* ﬁ -> fi, U+FF21 -> A */
    o.normalization = LLMD_NORM_NONE;
    CK_CLEAN(&o, "e\xCC\x81", "e\xCC\x81");
    o.normalization = 7;
    char *out;
    ck_fails(llmd_clean_text("x", 1, &o, &out, NULL), LLMD_ERR_INVALID_ARG, "normalization");
}
END_TEST

START_TEST(test_clean_controls_whitespace) {
    CK_CLEAN(NULL, "  a \t\n b  ", "a b");
    CK_CLEAN(NULL, "a\xE3\x80\x80" "b\xC2\xA0" "c\xE2\x80\x83" "d", "a b c d");
    CK_CLEAN(NULL, "\n\n\t ", "");
    CK_CLEAN(NULL, "", "");
    llmd_clean_options o = LLMD_CLEAN_OPTIONS_INIT;
    o.keep_paragraphs = 1;
    CK_CLEAN(&o, " a\n\n\nb c\nd \r\n\r\n e ", "a\n\nb c d\n\ne");
    o.keep_paragraphs = 0;
    o.whitespace = 0;
    CK_CLEAN(&o, "a\x01" "b\x7F" "c\td\r\ne\xC2\x85" "f\xC2\x9F" "g", "abc\td\nefg");
    /* NUL bytes are controls. */
    char *out = clean_with("a\0b\0", 4, &o);
    ck_assert_str_eq(out, "ab");
    llmd_free(out);
    o.drop_controls = 0;
    size_t n;
    ck_ok(llmd_clean_text("a\0b", 3, &o, &out, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(out, "a\0b", 3);
    llmd_free(out);
}
END_TEST

START_TEST(test_clean_invalid_utf8) {
    CK_CLEAN(NULL, "a\xF0\x9F\x98" "b", "a\xEF\xBF\xBD" "b");
    CK_CLEAN(NULL, "a\xC0\xAF" "b", "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
    CK_CLEAN(NULL, "\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CK_CLEAN(NULL, "\xFF", "\xEF\xBF\xBD");
    llmd_clean_options o = LLMD_CLEAN_OPTIONS_INIT;
    o.invalid_utf8 = LLMD_INVALID_UTF8_ERROR;
    char *out = (char *)1;
    ck_fails(llmd_clean_text("abc\xFF", 4, &o, &out, NULL), LLMD_ERR_UTF8, "byte offset 3");
    ck_assert_ptr_null(out);
    CK_CLEAN(&o, "fine \xC3\xA9", "fine \xC3\xA9");
}
END_TEST

START_TEST(test_clean_args) {
    char *out;
    ck_fails(llmd_clean_text(NULL, 3, NULL, &out, NULL), LLMD_ERR_INVALID_ARG, "text");
    ck_fails(llmd_clean_text("x", 1, NULL, NULL, NULL), LLMD_ERR_INVALID_ARG, "out");
    llmd_clean_options o = LLMD_CLEAN_OPTIONS_INIT;
    o.version = 0;
    ck_fails(llmd_clean_text("x", 1, &o, &out, NULL), LLMD_ERR_VERSION, "llmd_clean_options");
    o.version = 99;
    ck_fails(llmd_clean_text("x", 1, &o, &out, NULL), LLMD_ERR_VERSION, "llmd_clean_options");
    ck_ok(llmd_clean_text(NULL, 0, NULL, &out, NULL));
    ck_assert_str_eq(out, "");
    llmd_free(out);
}
END_TEST

/* ---- redaction: one test per type ------------------------------------------------------------- */

START_TEST(test_email) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    expect_one(r, "mail john.doe@example.com today", "EMAIL_ADDRESS", "john.doe@example.com");
    expect_one(r, "<a+tag_x@mail.sub.example.co.uk>.", "EMAIL_ADDRESS", "a+tag_x@mail.sub.example.co.uk");
    expect_one(r, "end with dot: x@example.org.", "EMAIL_ADDRESS", "x@example.org");
    expect_none(r, "user@localhost and foo@bar and @example.com and a@b.c1 and git@1.2");
    expect_redact(r, "Mail john@example.com now", "Mail [EMAIL_ADDRESS] now");
    llmd_redactor_free(r);
}
END_TEST

START_TEST(test_phone) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    expect_one(r, "call (202) 555-0143 now", "PHONE_NUMBER", "(202) 555-0143");
    expect_one(r, "call 202-555-0143.", "PHONE_NUMBER", "202-555-0143");
    expect_one(r, "call 202.555.0143", "PHONE_NUMBER", "202.555.0143");
    expect_one(r, "call +1 202 555 0143", "PHONE_NUMBER", "+1 202 555 0143");
    expect_one(r, "call 1-800-555-0199!", "PHONE_NUMBER", "1-800-555-0199");
    expect_one(r, "London +44 20 7946 0958.", "PHONE_NUMBER", "+44 20 7946 0958");
    expect_one(r, "Paris: +33 1 23 45 67 89", "PHONE_NUMBER", "+33 1 23 45 67 89");
    /* Dates, bare 10-digit numbers (timestamps), invalid NANP (area 1xx), short numbers. */
    expect_none(r, "on 2024-01-15, ts 1700000000, 123-456-7890, +12 34, 555-0143, 1999-2016");
    expect_none(r, "version 10.2.3.4567 and 2021.11.22.1234");
    /* Seen in the Debian documentation corpus: DFARS clause numbers (mixed separators) and
     * "++<14 digits>" inside version strings. */
    expect_none(r, "as defined in DFARS 252.227-7013 (c) (1) and llvm (1:14~++20210827020436+15b2a8e7f-1)");
    expect_one(r, "phone 317-278-4100, fax", "PHONE_NUMBER", "317-278-4100");
    llmd_redactor_free(r);
}
END_TEST

START_TEST(test_ip) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    expect_one(r, "host 192.0.2.1 up", "IP_ADDRESS", "192.0.2.1");
    expect_one(r, "from 198.51.100.23.", "IP_ADDRESS", "198.51.100.23");
    expect_one(r, "(203.0.113.255)", "IP_ADDRESS", "203.0.113.255");
    expect_one(r, "v6 2001:DB8:0:0:8:800:200C:417A end", "IP_ADDRESS", "2001:DB8:0:0:8:800:200C:417A");
    expect_one(r, "v6 FF01::101 end", "IP_ADDRESS", "FF01::101");
    expect_one(r, "loopback ::1.", "IP_ADDRESS", "::1");
    expect_one(r, "x ::13.1.68.3 y", "IP_ADDRESS", "::13.1.68.3");
    expect_one(r, "x ::FFFF:129.144.52.38 y", "IP_ADDRESS", "::FFFF:129.144.52.38");
    expect_one(r, "[2001:db8::1]:80", "IP_ADDRESS", "2001:db8::1");
    /* Out-of-range octets, leading zeros, too few/many parts, times, C++ scopes, bare "::". */
    expect_none(r, "256.1.1.1 192.168.01.1 1.2.3 1.2.3.4.5 10:30:45 std::vector a :: b 1:2:3:4:5:6:7:8:9");
    /* Version numbers in a version context (Debian changelog headers, "version ..."). */
    expect_none(r, "dpkg (1.15.5.5) unstable; urgency=low; update standards version to 3.8.3.0 now");
    expect_one(r, "dpkg (1.15.5.5) unstable from host 192.0.2.1", "IP_ADDRESS", "192.0.2.1");
    expect_none(r, "Manuals 2.1.2.2, added 2.8.0.3 patch, base-passwd (>= 2.0.3.4), resolver 8.8.8.8");
    expect_one(r, "private range 10.100.0.7 here", "IP_ADDRESS", "10.100.0.7");
    llmd_redactor_free(r);
}
END_TEST

START_TEST(test_credit_card) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    static const char *good[] = {"4242424242424242", "4242 4242 4242 4242", "5555-5555-5555-4444",
                                 "378282246310005", "3782 822463 10005", "6011111111111117",
                                 "3056930009020004", "3566002020360505", "6200000000000005"};
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        char buf[128];
        snprintf(buf, sizeof buf, "card: %s, exp 12/34", good[k]);
        expect_one(r, buf, "CREDIT_CARD", good[k]);
    }
    /* Luhn-invalid, mixed separators, unknown issuer, too long, ISBN-13, order numbers. */
    expect_none(r, "4242424242424241 4242 4242-4242 4242 9242424242424242 42424242424242424242");
    expect_none(r, "ISBN 978-3-16-148410-0 and order 1000000000000000009");
    llmd_redactor_free(r);
}
END_TEST

START_TEST(test_iban) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    static const char *good[] = {"GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432",
                                 "DE89 3704 0044 0532 0130 00", "FR14 2004 1010 0505 0001 3M02 606",
                                 "NL91 ABNA 0417 1643 00", "CH93 0076 2011 6238 5295 7", "BE68 5390 0754 7034"};
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        char buf[128];
        snprintf(buf, sizeof buf, "pay to %s today", good[k]);
        expect_one(r, buf, "IBAN_CODE", good[k]);
    }
    /* Wrong check digits, wrong length for GB, unknown country, lower case. */
    expect_none(r, "GB82 WEST 1234 5698 7654 33, GB82WEST123456987654, XX82WEST12345698765432");
    expect_none(r, "gb82west12345698765432 and DE89370400440532013001");
    llmd_redactor_free(r);
}
END_TEST

START_TEST(test_ssn) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    expect_one(r, "SSN: 536-22-8762.", "US_SSN", "536-22-8762");
    expect_one(r, "SSN 536 22 8762 on file", "US_SSN", "536 22 8762");
    expect_none(r, "000-12-3456 666-12-3456 900-12-3456 999-12-3456 123-00-4567 123-45-0000");
    expect_none(r, "123-45-67890 1234-56-7890 123-45 6789 123456789");
    llmd_redactor_free(r);
}
END_TEST

START_TEST(test_secret) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    expect_one(r, "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n", "SECRET", "AKIAIOSFODNN7EXAMPLE");
    expect_one(r, "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 x", "SECRET",
               "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789");
    expect_one(r, "GITHUB_TOKEN=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "SECRET",
               "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz");
    expect_one(r, "slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "SECRET",
               "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx");
    expect_one(r, "stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc.", "SECRET", "sk_live_4eC39HqLyjWDarjtT1zdp7dc");
    expect_one(r, "key=AIzaSyA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tU_v", "SECRET", "AIzaSyA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tU_v");
    expect_one(r, "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "SECRET",
               "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect_one(r, "AWS_SECRET_ACCESS_KEY: \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"", "SECRET",
               "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect_none(r, "aws_secret_access_key = short/key and a secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    const char *jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
                      "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    char buf[512];
    snprintf(buf, sizeof buf, "Authorization: Bearer %s\n", jwt);
    expect_one(r, buf, "SECRET", jwt);
    const char *pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi\n"
                      "Z1BjP5CE/Wm/Rr500P\n-----END RSA PRIVATE KEY-----";
    snprintf(buf, sizeof buf, "key:\n%s\nafter", pem);
    expect_one(r, buf, "SECRET", pem);
    snprintf(buf, sizeof buf, "x -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA");
    expect_one(r, buf, "SECRET", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA");
    /* Public keys/certificates, short prefixes, hex digests, plain words with the prefixes. */
    expect_none(r, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
    expect_none(r, "AKIA12 ghp_short xoxb- sk_live_x eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 AIza");
    expect_none(r, "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ok");
    expect_none(r, "skills ghost xoxo rk_ npm_install eyes AKIAB");
    llmd_redactor_free(r);
}
END_TEST

START_TEST(test_false_positives) {
    /* Dates, versions, ISBNs, prices, hashes and Luhn-invalid numbers stay. */
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    expect_none(r, "Released 2023-10-05 (v1.2.3, build 4.5.6.7890) for $1,234.56 or EUR 99.99. "
                   "ISBN 0-306-40615-2, ISBN-13 978-0-306-40615-7. md5 d41d8cd98f00b204e9800998ecf8427e, "
                   "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709. Copyright 1995-2024. Tel ext 4321. "
                   "Order #12345678901234 shipped 12/31/2023 at 10:45:00 UTC+01:00.");
    llmd_redactor_free(r);
}
END_TEST

/* ---- redactor options ------------------------------------------------------------------------- */

START_TEST(test_types_subset_and_parse) {
    uint32_t m = 0;
    ck_ok(llmd_pii_parse_types("EMAIL_ADDRESS, US_SSN", &m));
    ck_assert_uint_eq(m, (1u << LLMD_PII_EMAIL_ADDRESS) | (1u << LLMD_PII_US_SSN));
    ck_ok(llmd_pii_parse_types("all", &m));
    ck_assert_uint_eq(m, LLMD_PII_ALL);
    ck_ok(llmd_pii_parse_types("none", &m));
    ck_assert_uint_eq(m, 0);
    ck_fails(llmd_pii_parse_types("EMAIL_ADDRESS,PASSPORT", &m), LLMD_ERR_NOT_FOUND, "PASSPORT");
    ck_assert_str_eq(llmd_pii_type_name(LLMD_PII_IBAN_CODE), "IBAN_CODE");
    ck_assert_ptr_null(llmd_pii_type_name(LLMD_PII_BUILTIN_COUNT));

    llmd_redactor *r = new_redactor(1u << LLMD_PII_EMAIL_ADDRESS, NULL);
    expect_redact(r, "a@example.com 202-555-0143 536-22-8762", "[EMAIL_ADDRESS] 202-555-0143 536-22-8762");
    llmd_redactor_free(r);
    r = new_redactor(0, NULL);
    expect_redact(r, "a@example.com 202-555-0143", "a@example.com 202-555-0143");
    llmd_redactor_free(r);
    llmd_redactor_options o = LLMD_REDACTOR_OPTIONS_INIT;
    o.types = 0x100;
    ck_fails(llmd_redactor_new(&r, &o), LLMD_ERR_RANGE, "types");
    o = (llmd_redactor_options)LLMD_REDACTOR_OPTIONS_INIT;
    o.version = 2;
    ck_fails(llmd_redactor_new(&r, &o), LLMD_ERR_VERSION, "llmd_redactor_options");
}
END_TEST

START_TEST(test_templates) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, "<{type}>");
    expect_redact(r, "x@example.com, 536-22-8762", "<EMAIL_ADDRESS>, <US_SSN>");
    llmd_redactor_free(r);
    r = new_redactor(LLMD_PII_ALL, "****");
    expect_redact(r, "x@example.com, 536-22-8762", "****, ****");
    llmd_redactor_free(r);
    r = new_redactor(LLMD_PII_ALL, "{{{type}}}");
    expect_redact(r, "x@example.com", "{EMAIL_ADDRESS}");
    llmd_redactor_free(r);
    r = new_redactor(LLMD_PII_ALL, "");
    expect_redact(r, "a x@example.com b", "a  b");
    llmd_redactor_free(r);
    llmd_redactor_options o = LLMD_REDACTOR_OPTIONS_INIT;
    o.replacement = "[{typo]";
    ck_fails(llmd_redactor_new(&r, &o), LLMD_ERR_INVALID_ARG, "template");
}
END_TEST

static int even_last_digit(const char *m, size_t len, void *user) {
    int *calls = user;
    __atomic_add_fetch(calls, 1, __ATOMIC_RELAXED);
    return len > 0 && (m[len - 1] - '0') % 2 == 0;
}

START_TEST(test_custom_rules) {
    int calls = 0;
    llmd_pii_rule rules[2] = {
        {"EMPLOYEE_ID", "\\bE-\\d{6}\\b", even_last_digit, &calls},
        {"GREETING", "(?i)mail\\s+\\w+", NULL, NULL},
    };
    llmd_redactor_options o = LLMD_REDACTOR_OPTIONS_INIT;
    o.rules = rules;
    o.n_rules = 2;
    llmd_redactor *r;
    ck_ok(llmd_redactor_new(&r, &o));
    ck_assert_uint_eq(llmd_redactor_type_count(r), 9);
    ck_assert_str_eq(llmd_redactor_type_name(r, 7), "EMPLOYEE_ID");
    ck_assert_ptr_null(llmd_redactor_type_name(r, 9));
    expect_redact(r, "ids E-123456 and E-123457.", "ids [EMPLOYEE_ID] and E-123457.");
    ck_assert_int_eq(calls, 2);
    /* Overlap rule: earliest start wins ("Mail john" starts before the address)... */
    expect_redact(r, "Mail john@example.com", "[GREETING]@example.com");
    /* ...and at the same start the longest wins (the e-mail beats "mail x"). */
    expect_redact(r, "mail@example.com", "[EMAIL_ADDRESS]");
    /* Non-ASCII and invalid UTF-8 subjects are fine for caller rules. */
    char *out;
    size_t n;
    ck_ok(llmd_redactor_redact(r, "\xFF E-000002 \xC3\xA9", 14, &out, &n, NULL, NULL));
    ck_assert_str_eq(out, "\xFF [EMPLOYEE_ID] \xC3\xA9");
    llmd_free(out);
    llmd_redactor_free(r);

    llmd_pii_rule bad = {"EMPLOYEE_ID", "E-(\\d+", NULL, NULL};
    o.rules = &bad;
    o.n_rules = 1;
    ck_fails(llmd_redactor_new(&r, &o), LLMD_ERR_PARSE, "EMPLOYEE_ID");
    ck_fails(llmd_redactor_new(&r, &o), LLMD_ERR_PARSE, "offset 6");
    llmd_pii_rule noname = {"", "x", NULL, NULL};
    o.rules = &noname;
    ck_fails(llmd_redactor_new(&r, &o), LLMD_ERR_INVALID_ARG, "empty type");
    /* A pattern that matches the empty string terminates and reports nothing. */
    llmd_pii_rule empty = {"EMPTY", "x*", NULL, NULL};
    o.rules = &empty;
    ck_ok(llmd_redactor_new(&r, &o));
    expect_redact(r, "abc xx d", "abc [EMPTY] d");
    llmd_redactor_free(r);
}
END_TEST

START_TEST(test_spans_and_offsets) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    const char *in = "x@example.com 536-22-8762 192.0.2.7";
    char *out;
    size_t n, ns;
    llmd_pii_span *sp;
    ck_ok(llmd_redactor_redact(r, in, strlen(in), &out, &n, &sp, &ns));
    ck_assert_str_eq(out, "[EMAIL_ADDRESS] [US_SSN] [IP_ADDRESS]");
    ck_assert_uint_eq(ns, 3);
    ck_assert_uint_eq(sp[0].start, 0);
    ck_assert_uint_eq(sp[0].end, 13);
    ck_assert_uint_eq(sp[1].type_id, LLMD_PII_US_SSN);
    ck_assert_uint_eq(sp[1].start, 14);
    ck_assert_uint_eq(sp[1].end, 25);
    ck_assert_uint_eq(sp[2].start, 26);
    ck_assert_uint_eq(sp[2].end, 35);
    llmd_free(out);
    llmd_free(sp);
    /* Combined: offsets into the CLEANED text. */
    const char *html = "<p>Write&nbsp;to   <b>x@example.com</b></p>";
    ck_ok(llmd_clean_and_redact(html, strlen(html), NULL, r, &out, &n, &sp, &ns));
    ck_assert_str_eq(out, "Write to [EMAIL_ADDRESS]");
    ck_assert_uint_eq(ns, 1);
    ck_assert_uint_eq(sp[0].start, 9);
    ck_assert_uint_eq(sp[0].end, 22);
    llmd_free(out);
    llmd_free(sp);
    /* Empty input and NUL bytes. */
    ck_ok(llmd_redactor_redact(r, "", 0, &out, &n, &sp, &ns));
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(ns, 0);
    ck_assert_ptr_null(sp);
    llmd_free(out);
    ck_ok(llmd_redactor_redact(r, "a\0x@example.com\0b", 17, &out, &n, NULL, NULL));
    ck_assert_uint_eq(n, 19);
    ck_assert_mem_eq(out, "a\0[EMAIL_ADDRESS]\0b", 19);
    llmd_free(out);
    ck_fails(llmd_redactor_redact(NULL, "x", 1, &out, &n, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    llmd_redactor_free(r);
    llmd_redactor_free(NULL);
}
END_TEST

/* ---- threads, batches, scale ----------------------------------------------------------------- */

static const char *sample_texts[] = {
    "<p>Contact: jane.roe@example.org, (202) 555-0143</p>",
    "card 4242 4242 4242 4242 and IBAN GB82 WEST 1234 5698 7654 32",
    "server 203.0.113.9 / 2001:db8::2 ; ssn 536-22-8762",
    "AKIAIOSFODNN7EXAMPLE &amp; ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "",
    "caf\xC3\xA9  plain   text, nothing to see.",
};
#define N_SAMPLES (sizeof sample_texts / sizeof sample_texts[0])

typedef struct thread_arg {
    const llmd_redactor *r;
    char *expected[N_SAMPLES];
    int failures;
} thread_arg;

static void *hammer(void *p) {
    thread_arg *a = p;
    for (int rep = 0; rep < 300; rep++) {
        for (size_t k = 0; k < N_SAMPLES; k++) {
            char *out;
            size_t n, ns;
            llmd_pii_span *sp;
            if (llmd_clean_and_redact(sample_texts[k], strlen(sample_texts[k]), NULL, a->r, &out, &n, &sp, &ns) != LLMD_OK ||
                strcmp(out, a->expected[k]) != 0)
                __atomic_add_fetch(&a->failures, 1, __ATOMIC_RELAXED);
            llmd_free(out);
            llmd_free(sp);
        }
    }
    return NULL;
}

START_TEST(test_threads_share_redactor) {
    thread_arg a = {0};
    a.r = new_redactor(LLMD_PII_ALL, NULL);
    for (size_t k = 0; k < N_SAMPLES; k++)
        ck_ok(llmd_clean_and_redact(sample_texts[k], strlen(sample_texts[k]), NULL, a.r, &a.expected[k], NULL, NULL, NULL));
    ck_assert_str_eq(a.expected[0], "Contact: [EMAIL_ADDRESS], [PHONE_NUMBER]");
    ck_assert_str_eq(a.expected[3], "[SECRET] & [SECRET]");
    pthread_t t[8];
    for (int i = 0; i < 8; i++) ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &a), 0);
    for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
    ck_assert_int_eq(a.failures, 0);
    for (size_t k = 0; k < N_SAMPLES; k++) llmd_free(a.expected[k]);
    llmd_redactor_free((llmd_redactor *)a.r);
}
END_TEST

START_TEST(test_batch) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    enum { N = 600 };
    const char *texts[N];
    size_t lens[N];
    for (size_t i = 0; i < N; i++) {
        texts[i] = sample_texts[i % N_SAMPLES];
        lens[i] = strlen(texts[i]);
    }
    llmd_text_batch *b1, *b4;
    size_t failed;
    ck_ok(llmd_text_batch_run(texts, lens, N, 1, NULL, r, 1, &b1, &failed));
    ck_assert_uint_eq(failed, SIZE_MAX);
    ck_ok(llmd_text_batch_run(texts, lens, N, 1, NULL, r, 4, &b4, NULL));
    ck_assert_uint_eq(b1->n, N);
    ck_assert_uint_eq(b1->offsets[N], b4->offsets[N]);
    ck_assert_mem_eq(b1->data, b4->data, b1->offsets[N]);
    ck_assert_uint_eq(b1->span_offsets[N], b4->span_offsets[N]);
    for (size_t i = 0; i < b1->span_offsets[N]; i++) {
        ck_assert_uint_eq(b1->spans[i].start, b4->spans[i].start);
        ck_assert_str_eq(b1->spans[i].type, b4->spans[i].type);
    }
    /* Each output equals the single-call result. */
    for (size_t i = 0; i < N_SAMPLES; i++) {
        char *one;
        size_t n1;
        ck_ok(llmd_clean_and_redact(texts[i], lens[i], NULL, r, &one, &n1, NULL, NULL));
        ck_assert_uint_eq(b4->offsets[i + 1] - b4->offsets[i], n1);
        ck_assert_mem_eq(b4->data + b4->offsets[i], one, n1);
        llmd_free(one);
    }
    ck_assert_uint_eq(b4->span_offsets[2] - b4->span_offsets[1], 2);  /* card + IBAN */
    llmd_text_batch_free(b1);
    llmd_text_batch_free(b4);
    /* Clean only, and a failing item. */
    ck_ok(llmd_text_batch_run(texts, lens, 2, 1, NULL, NULL, 2, &b1, NULL));
    ck_assert_uint_eq(b1->span_offsets[2], 0);
    llmd_text_batch_free(b1);
    const char *bad[3] = {"ok", "fine", "bad \xFF"};
    size_t bl[3] = {2, 4, 5};
    llmd_clean_options o = LLMD_CLEAN_OPTIONS_INIT;
    o.invalid_utf8 = LLMD_INVALID_UTF8_ERROR;
    ck_fails(llmd_text_batch_run(bad, bl, 3, 1, &o, r, 2, &b1, &failed), LLMD_ERR_UTF8, "text 2");
    ck_assert_uint_eq(failed, 2);
    ck_assert_ptr_null(b1);
    ck_ok(llmd_text_batch_run(NULL, NULL, 0, 1, NULL, r, 0, &b1, NULL));
    ck_assert_uint_eq(b1->n, 0);
    ck_assert_uint_eq(b1->offsets[0], 0);
    llmd_text_batch_free(b1);
    llmd_redactor_free(r);
}
END_TEST

/* The scan looks at 64, 32, 16 or 1 byte(s) at a time depending on the CPU and on how much text is
 * left: the same text behind 0..70 spaces must give the same spans, shifted (every detection
 * straddles block boundaries at some shift, and short texts take the narrow paths). */
START_TEST(test_scan_shift_invariant) {
    static const char *const pieces[] = {
        "a@b.co", "jane.doe+x@mail.example.org", "192.168.1.1", "2001:db8::1", "fe80::1", "4111 1111 1111 1111",
        "GB82 WEST 1234 5698 7654 32", "536-22-8762", "AKIAIOSFODNN7EXAMPLE", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig_x", "(202) 555-0143", "+44 20 7946 0958",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "sk_live_abcdefghijklmnopqrstuvwx",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "xoxb-1234567890-abc", "npm_abcdefghijklmnopqrstuvwxyz0123456789",
        "the", "GNU", "GPL", "Note:", "--opt", "x+1", "(see", "caf\xc3\xa9", "\xff", "version 1.2.3.4", "10.0.0.1",
        "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234", "glpat-abcdefghijklmnopqrst", "12:34", "::", "a:b:c"};
    static const char *const seps[] = {" ", "\n", ", ", "", "-", ":", "  ", ".", "@", "("};
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    char text[2048], shifted[2200];
    for (int iter = 0; iter < 300; iter++) {
        size_t len = 0;
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        int np = 1 + (int)((rng >> 33) % 24);
        for (int k = 0; k < np; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            const char *pc = pieces[(rng >> 33) % (sizeof pieces / sizeof *pieces)];
            const char *sp = seps[(rng >> 50) % (sizeof seps / sizeof *seps)];
            if (len + strlen(pc) + strlen(sp) >= sizeof text) break;
            memcpy(text + len, pc, strlen(pc));
            len += strlen(pc);
            memcpy(text + len, sp, strlen(sp));
            len += strlen(sp);
        }
        llmd_pii_span *base, *got;
        size_t nb, ng;
        ck_ok(llmd_redactor_find(r, text, len, &base, &nb));
        for (size_t shift = 1; shift <= 70; shift++) {
            memset(shifted, ' ', shift);
            memcpy(shifted + shift, text, len);
            ck_ok(llmd_redactor_find(r, shifted, len + shift, &got, &ng));
            ck_assert_uint_eq(ng, nb);
            for (size_t k = 0; k < nb; k++) {
                ck_assert_uint_eq(got[k].start, base[k].start + shift);
                ck_assert_uint_eq(got[k].end, base[k].end + shift);
                ck_assert_uint_eq(got[k].type_id, base[k].type_id);
            }
            llmd_free(got);
        }
        llmd_free(base);
    }
    llmd_redactor_free(r);
}
END_TEST

/* Cleaning copies plain text 64, 32, 16 or 1 byte(s) at a time from wherever the plain run starts:
 * behind k letters and a space, a text must clean to those letters, the separator and the same
 * bytes for every k (so every byte of the text meets every block position), with every option
 * set: clean("z"*k + " " + t) == "z"*(k-1) + clean("z " + t). */
START_TEST(test_clean_shift_invariant) {
    static const char *const pieces[] = {
        "The quick brown fox", "jumps", "over", "a", "lazy dog.", "caf\xc3\xa9", "e\xcc\x81", "\xef\xac\x81",
        "<b>bold</b>", "&amp;", "&copy 2024", "\x01", "\x7f", "\xc2\x85", "\xc2\xa0", "\xe2\x80\x83", "\xff",
        "\r\n", "x\ty", "0123456789abcdef0123456789abcdef0123456789", "A  B", "p.s."};
    static const char *const seps[] = {" ", "\n", "\n\n", "\t", "", "  ", " \n ", "\r", "\f"};
    uint64_t rng = 0xD1B54A32D192ED03ull;
    char text[2048], shifted[2200];
    for (int iter = 0; iter < 120; iter++) {
        size_t len = 0;
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        int np = 1 + (int)((rng >> 33) % 40);
        for (int k = 0; k < np; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            const char *pc = pieces[(rng >> 33) % (sizeof pieces / sizeof *pieces)];
            const char *sp = seps[(rng >> 50) % (sizeof seps / sizeof *seps)];
            if (len + strlen(pc) + strlen(sp) >= sizeof text) break;
            memcpy(text + len, pc, strlen(pc));
            len += strlen(pc);
            memcpy(text + len, sp, strlen(sp));
            len += strlen(sp);
        }
        for (int variant = 0; variant < 6; variant++) {
            llmd_clean_options o = LLMD_CLEAN_OPTIONS_INIT;
            o.html = variant != 1;
            o.normalization = variant == 2 ? LLMD_NORM_NFKC : variant == 3 ? LLMD_NORM_NONE : LLMD_NORM_NFC;
            o.keep_paragraphs = variant == 4;
            o.drop_controls = variant != 5;
            char *base, *got;
            size_t nb, ng;
            memcpy(shifted, "z ", 2);
            memcpy(shifted + 2, text, len);
            ck_ok(llmd_clean_text(shifted, len + 2, &o, &base, &nb));
            for (size_t k = 2; k <= 72; k++) {
                memset(shifted, 'z', k);
                shifted[k] = ' ';
                memcpy(shifted + k + 1, text, len);
                ck_ok(llmd_clean_text(shifted, len + k + 1, &o, &got, &ng));
                ck_assert_uint_eq(ng, nb + k - 1);
                for (size_t z = 0; z < k - 1; z++) ck_assert_int_eq(got[z], 'z');
                ck_assert_mem_eq(got + k - 1, base, nb);
                llmd_free(got);
            }
            llmd_free(base);
        }
    }
}
END_TEST

/* Threads get chunks balanced by bytes: with one document much larger than the rest and empty
 * ones around it (so some chunks are empty), every thread count gives each text the output and
 * spans of a single call, in order. */
START_TEST(test_batch_uneven_sizes) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    enum { N = 9 };
    static char big[200000];
    for (size_t i = 0; i < sizeof big - 1; i++) big[i] = "lorem ipsum <b>dolor</b> sit\n"[i % 30];
    memcpy(big + 1000, " jane@example.org ", 18);
    memcpy(big + sizeof big - 40, " 192.0.2.44 ", 12);
    const char *texts[N] = {"", "a@example.com", big, "", "x", "call (202) 555-0143 now", "", "&amp; y", ""};
    size_t lens[N];
    for (size_t i = 0; i < N; i++) lens[i] = i == 2 ? sizeof big - 1 : strlen(texts[i]);
    for (unsigned th = 1; th <= 8; th++) {
        llmd_text_batch *b;
        ck_ok(llmd_text_batch_run(texts, lens, N, 1, NULL, r, th, &b, NULL));
        ck_assert_uint_eq(b->n, N);
        for (size_t i = 0; i < N; i++) {
            char *one;
            size_t n1, ns;
            llmd_pii_span *sp;
            ck_ok(llmd_clean_and_redact(texts[i], lens[i], NULL, r, &one, &n1, &sp, &ns));
            ck_assert_uint_eq(b->offsets[i + 1] - b->offsets[i], n1);
            ck_assert_mem_eq(b->data + b->offsets[i], one, n1);
            ck_assert_uint_eq(b->span_offsets[i + 1] - b->span_offsets[i], ns);
            for (size_t k = 0; k < ns; k++) {
                ck_assert_uint_eq(b->spans[b->span_offsets[i] + k].start, sp[k].start);
                ck_assert_uint_eq(b->spans[b->span_offsets[i] + k].end, sp[k].end);
            }
            llmd_free(one);
            llmd_free(sp);
        }
        ck_assert_uint_eq(b->span_offsets[N], 4);   /* 2 e-mails, 1 IP, 1 phone */
        llmd_text_batch_free(b);
    }
    llmd_redactor_free(r);
}
END_TEST

static int sanitized(void) {
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
    return 1;
#  endif
#endif
    /* tests/meson.build always sets LLMD_SANITIZED, to "0" or "1": only "1" means sanitized. */
    const char *v = getenv("LLMD_SANITIZED");
    return v != NULL && strcmp(v, "1") == 0;
}

/* ThreadSanitizer runs this code ~10x slower than a normal build. */
static int tsan_build(void) {
#if defined(__SANITIZE_THREAD__)
    return 1;
#elif defined(__has_feature)
#  if __has_feature(thread_sanitizer)
    return 1;
#  endif
#endif
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One 100 MB document (16 MB under sanitizers): linear time, every planted item found. */
START_TEST(test_large_document) {
    const char block[] = "<p>Dear customer, write to jane.roe@example.org or call (202) 555-0143.</p>\n"
                         "Plain text follows &amp; continues with caf\xC3\xA9 and 2023-10-05 dates.\n";
    size_t bl = sizeof block - 1;
    size_t target = sanitized() ? (16u << 20) : (100u << 20);
    size_t reps = target / bl;
    char *doc = malloc(reps * bl + 1);
    ck_assert_ptr_nonnull(doc);
    for (size_t i = 0; i < reps; i++) memcpy(doc + i * bl, block, bl);
    doc[reps * bl] = '\0';
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    double t0 = now_s();
    char *out;
    size_t n, ns;
    llmd_pii_span *sp;
    ck_ok(llmd_clean_and_redact(doc, reps * bl, NULL, r, &out, &n, &sp, &ns));
    double dt = now_s() - t0;
    ck_assert_uint_eq(ns, 2 * reps);
    ck_assert_str_eq(sp[1].type, "PHONE_NUMBER");
    ck_assert_ptr_nonnull(strstr(out, "Dear customer, write to [EMAIL_ADDRESS] or call [PHONE_NUMBER]. Plain text"));
    fprintf(stderr, "large document: %zu MB in %.2f s\n", (reps * bl) >> 20, dt);
    llmd_free(out);
    llmd_free(sp);
    llmd_redactor_free(r);
    free(doc);
}
END_TEST

/* Adversarial inputs that would be quadratic for a naive scanner: must finish quickly. */
START_TEST(test_pathological) {
    size_t sz = sanitized() ? (1u << 20) : (8u << 20);
    static const char *units[] = {"<a ", "a@", "-----BEGIN RSA PRIVATE KEY-----", "1.", "::", "<!--",
                                  "&#", "1 ", "<script>", "AKIA", "+1 ", "GB82", "&notit", "<a x='",
                                  "+1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 ", "version 1.2.3.4 ", "eyJ", "xoxb-",
                                  "aws_secret_access_key=", "a:", "e\xCC\x81", "\xC2\xA0", "\xFF"};
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    char *doc = malloc(sz + 1);
    ck_assert_ptr_nonnull(doc);
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t ul = strlen(units[u]);
        for (size_t i = 0; i < sz; i++) doc[i] = units[u][i % ul];
        double t0 = now_s();
        char *out;
        size_t n, ns;
        llmd_pii_span *sp;
        ck_ok(llmd_clean_and_redact(doc, sz, NULL, r, &out, &n, &sp, &ns));
        double dt = now_s() - t0;
        /* quadratic work on 1 MiB would take hours even under TSan's 60 s */
        ck_assert_msg(dt < (tsan_build() ? 60.0 : 10.0), "unit '%s': %.1f s for %zu bytes", units[u], dt, sz);
        llmd_free(out);
        llmd_free(sp);
    }
    free(doc);
    llmd_redactor_free(r);
}
END_TEST

/* ---- validator edges (issue 19): each rule at, just inside and just outside its limit ---- */

/* Card numbers: issuer ranges and lengths from the networks' published IIN tables (Visa 4: 13, 16,
 * 19 digits; Mastercard 51-55 and 2221-2720: 16; Amex 34, 37: 15; Discover 6011, 644-649, 65;
 * Diners 300-305, 36, 38; JCB 3528-3589; UnionPay 62; Maestro 50, 56-58, 6304, 67), each number
 * made Luhn-valid by its last digit (computed in Python, not by the library). */
START_TEST(test_card_issuer_edges) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    static const char *good[] = {
        "4000000000006", "4000000000000002", "4000000000000000006", "5100000000000008", "5500000000000004",
        "2221000000000009", "2720000000000005", "340000000000009", "370000000000002", "6011000000000004",
        "6440000000000005", "6490000000000004", "6500000000000002", "30000000000004", "30500000000003",
        "36000000000008", "38000000000006", "3528000000000007", "3589000000000003", "6200000000000005",
        "5000000000005", "5800000000008", "6304000000000000", "6700000000009"};
    static const char *bad[] = {   /* Luhn-valid, but a wrong length or outside every range */
        "40000000000002", "40000000000000006", "510000000000003", "55000000000000004", "2220000000000000",
        "2721000000000004", "5900000000000000", "3400000000000000", "37000000000007", "6430000000000007",
        "30600000000001", "3527000000000008", "3590000000000000", "3500000000000009", "1000000000000008",
        "7000000000000005", "8000000000000003", "9000000000000001",
        "500000000009", "560000000003", "670000000000"};   /* 12 digits: below every network's minimum */
    char buf[128];
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        snprintf(buf, sizeof buf, "card %s ok", good[k]);
        expect_one(r, buf, "CREDIT_CARD", good[k]);
    }
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        snprintf(buf, sizeof buf, "card %s ok", bad[k]);
        expect_none(r, buf);
    }
    /* 12 digits even when more digits follow outside the number (the scan's digit count sees 13) */
    expect_none(r, "card 500000000009) 1 ok");
    expect_none(r, "card 560000000003 (1) ok");
    /* one digit changed breaks the Luhn sum */
    expect_none(r, "card 4000000000000003 ok");
    expect_none(r, "card 2720000000000006 ok");
    llmd_redactor_free(r);
}
END_TEST

/* SSA rules: area 001-665, 667-899; group 01-99; serial 0001-9999; one separator throughout. */
START_TEST(test_ssn_edges) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    static const char *good[] = {"001-01-0001", "665-12-3456", "667-12-3456", "899-99-9999", "123-45-6789",
                                 "536 22 8762"};
    char buf[64];
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        snprintf(buf, sizeof buf, "SSN %s.", good[k]);
        expect_one(r, buf, "US_SSN", good[k]);
    }
    expect_none(r, "SSN 000-01-0001. SSN 666-01-0001. SSN 900-01-0001. SSN 001-00-0001. SSN 001-01-0000.");
    expect_none(r, "SSN 536-22 8762. SSN 536 22-8762. SSN 536-228-762.");
    llmd_redactor_free(r);
}
END_TEST

/* IPv4: octets 0-255 without leading zeros; all-small dotted numbers with a one-digit first part
 * are versions. */
START_TEST(test_ipv4_edges) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    expect_one(r, "host 255.255.255.255 up", "IP_ADDRESS", "255.255.255.255");
    expect_one(r, "host 10.0.0.1 up", "IP_ADDRESS", "10.0.0.1");
    expect_one(r, "host 9.100.1.1 up", "IP_ADDRESS", "9.100.1.1");
    expect_one(r, "host 172.16.0.0 up", "IP_ADDRESS", "172.16.0.0");
    expect_none(r, "host 255.255.255.256 up, 9.99.1.1, 10.0.0.01, 1000.1.1.1");
    llmd_redactor_free(r);
}
END_TEST

/* IBAN: the registry length of the country, mod-97 == 1; Norway's 15 characters is the shortest. */
START_TEST(test_iban_edges) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    expect_one(r, "pay NO93 8601 1117 947 now", "IBAN_CODE", "NO93 8601 1117 947");
    expect_one(r, "pay NO9386011117947 now", "IBAN_CODE", "NO9386011117947");
    expect_none(r, "pay NO93 8601 1117 94 now");            /* 14 characters */
    expect_none(r, "pay NO9386011117948 now");              /* last BBAN digit off by one */
    expect_none(r, "pay NO9486011117947 now");              /* check digits off by one: mod 97 = 2 */
    expect_none(r, "pay NO9286011117947 now");              /* mod 97 = 0 */
    expect_one(r, "pay BE68539007547034.", "IBAN_CODE", "BE68539007547034");
    expect_none(r, "pay BE685390075470341 now");            /* 17 for a 16-character country */
    llmd_redactor_free(r);
}
END_TEST

/* International numbers hold 8 to 15 digits (E.164 with a country code): 7 is too few even when
 * more digits follow after a ')' outside the match. */
START_TEST(test_phone_digit_limits) {
    llmd_redactor *r = new_redactor(LLMD_PII_ALL, NULL);
    expect_none(r, "call +44 12 345) 67 now");
    expect_one(r, "call +44 12 3456) 7 now", "PHONE_NUMBER", "+44 12 3456");
    expect_one(r, "call +49 1234 5678 90123 now", "PHONE_NUMBER", "+49 1234 5678 90123");
    expect_none(r, "call +49 1234 5678 90123 4 now");   /* 16 digits */
    llmd_redactor_free(r);
}
END_TEST

/* White space collapsing as specified (runs of space, \t, \n, \r, \v, \f between characters become
 * one space, none at either end; other controls and DEL vanish without splitting a run), checked
 * against that rule written out here on random ASCII texts 0..900 bytes long whose runs (up to
 * 150 bytes, across blocks and at the start), lines and controls fall at every offset of the
 * 16/32/64-byte fast paths, and on the same texts with a
 * multi-byte character spliced in. */
static void collapse_reference(const unsigned char *s, size_t n, char *out, size_t *on) {
    size_t o = 0;
    bool pending = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == ' ' || (c >= 0x09 && c <= 0x0D)) { pending = true; continue; }
        if (c < 0x20 || c == 0x7F) continue;
        if (pending && o > 0) out[o++] = ' ';
        pending = false;
        out[o++] = (char)c;
    }
    *on = o;
}

START_TEST(test_clean_whitespace_random) {
    uint64_t x = 0x243F6A8885A308D3ull;
    static unsigned char in[1024];
    static char want[1024];
    llmd_clean_options o;
    llmd_clean_options_init(&o);
    o.html = 0;
    for (int iter = 0; iter < 4000; iter++) {
        size_t n = 0, target;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        target = x % 900;
        while (n < target) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            unsigned r = (unsigned)(x % 100), run = (unsigned)((x >> 8) % 80);
            if (r < 55) {
                for (unsigned k = 0; k < run && n < target; k++) in[n++] = (unsigned char)('!' + (x >> (k % 40)) % 94);
            } else if (r < 75) {
                in[n++] = ' ';
            } else if (r < 90) {
                static const char ws[] = " \t\n\r\v\f";
                for (unsigned k = 0; k < run % 7 + 1 && n < target; k++) in[n++] = (unsigned char)ws[(x >> (3 * k)) % 6];
            } else if (r < 93) {
                in[n++] = '\n';
                in[n++] = '\n';
            } else if (r < 96) {   /* a long run: across 64-byte blocks, and at the start */
                static const char ws[] = " \t\n\r\v\f";
                for (unsigned k = (unsigned)((x >> 12) % 150) + 1; k-- > 0 && n < target;) in[n++] = (unsigned char)ws[(x >> (k % 50)) % 6];
            } else {
                static const unsigned char ctl[] = {0x01, 0x08, 0x1C, 0x1F, 0x7F, 0x00};
                in[n++] = ctl[(x >> 5) % 6];
            }
        }
        size_t wl;
        collapse_reference(in, n, want, &wl);
        char *out;
        size_t ol;
        ck_assert_int_eq(llmd_clean_text((const char *)in, n, &o, &out, &ol), LLMD_OK);
        ck_assert_msg(ol == wl && memcmp(out, want, wl) == 0, "iteration %d: %zu bytes vs %zu expected", iter, ol, wl);
        free(out);
        if (n > 10) {   /* a non-ASCII character (NFC-stable) in the middle: the fast paths restart after it */
            size_t at = n / 3;
            memmove(in + at + 2, in + at, n - at);
            in[at] = 0xC3, in[at + 1] = 0xA9;
            ck_assert_int_eq(llmd_clean_text((const char *)in, n + 2, &o, &out, &ol), LLMD_OK);
            /* the reference with the character as a printable one */
            size_t o2 = 0;
            bool pending = false;
            for (size_t i = 0; i < n + 2; i++) {
                unsigned char c = in[i];
                if (c == ' ' || (c >= 0x09 && c <= 0x0D)) { pending = true; continue; }
                if (c < 0x20 || c == 0x7F) continue;
                if (pending && o2 > 0) want[o2++] = ' ';
                pending = false;
                want[o2++] = (char)c;
            }
            ck_assert_msg(ol == o2 && memcmp(out, want, o2) == 0, "iteration %d with U+00E9", iter);
            free(out);
        }
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("text");
    TCase *c = tcase_create("clean");
    tcase_add_test(c, test_clean_html_tags);
    tcase_add_test(c, test_clean_entities);
    tcase_add_test(c, test_clean_normalization);
    tcase_add_test(c, test_clean_controls_whitespace);
    tcase_add_test(c, test_clean_whitespace_random);
    tcase_add_test(c, test_clean_invalid_utf8);
    tcase_add_test(c, test_clean_args);
    suite_add_tcase(s, c);
    TCase *p = tcase_create("redact");
    tcase_add_test(p, test_email);
    tcase_add_test(p, test_phone);
    tcase_add_test(p, test_ip);
    tcase_add_test(p, test_credit_card);
    tcase_add_test(p, test_iban);
    tcase_add_test(p, test_ssn);
    tcase_add_test(p, test_secret);
    tcase_add_test(p, test_false_positives);
    tcase_add_test(p, test_types_subset_and_parse);
    tcase_add_test(p, test_templates);
    tcase_add_test(p, test_custom_rules);
    tcase_add_test(p, test_spans_and_offsets);
    tcase_add_test(p, test_card_issuer_edges);
    tcase_add_test(p, test_ssn_edges);
    tcase_add_test(p, test_ipv4_edges);
    tcase_add_test(p, test_iban_edges);
    tcase_add_test(p, test_phone_digit_limits);
    suite_add_tcase(s, p);
    TCase *t = tcase_create("scale");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, test_threads_share_redactor);
    tcase_add_test(t, test_batch);
    tcase_add_test(t, test_batch_uneven_sizes);
    tcase_add_test(t, test_scan_shift_invariant);
    tcase_add_test(t, test_clean_shift_invariant);
    tcase_add_test(t, test_large_document);
    tcase_add_test(t, test_pathological);
    suite_add_tcase(s, t);
    return run_suite(s);
}
