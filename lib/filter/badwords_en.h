/* Bundled English bad-words list for the C4 bad-words rule.
 *
 * Source: a small subset of the English list of "List of Dirty, Naughty, Obscene, and Otherwise Bad
 * Words" (LDNOOBW, https://github.com/LDNOOBW/List-of-Dirty-Naughty-Obscene-and-Otherwise-Bad-Words),
 * which C4 used.  Licence: Creative Commons Attribution 4.0 International (CC-BY-4.0); attribution:
 * Shutterstock, Inc. and the LDNOOBW contributors.  Only single words are kept (this matcher compares
 * whole words); the list was transcribed by hand, not downloaded, and is deliberately short — pass
 * the full list with llmd_filter_options.bad_words_file (one word per line) for C4 parity. */
#ifndef LLMD_FILTER_BADWORDS_EN_H
#define LLMD_FILTER_BADWORDS_EN_H
static const char *const llmd_filter_badwords_en[] = {
    "anal", "anus", "arsehole", "asshole", "bastard", "bitch", "blowjob", "bollocks", "bullshit",
    "clit", "cock", "cocksucker", "cunt", "dildo", "fuck", "fucking", "fucked", "fucker",
    "motherfucker", "nigger", "porn", "porno", "pornography", "pussy", "shit", "slut", "twat",
    "wank", "whore",
};
#endif
