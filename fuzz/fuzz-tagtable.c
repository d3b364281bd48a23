/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the shelf register decoder: arbitrary register words as a
 * header block and a tag table, and the full polling protocol over a register file
 * made of the input (so chunked reads, short reads and moving CHANGE_SEQ are covered).
 */
#include "shelf_regmap.h"
#include "vault/tagdecode.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fake {
	const uint8_t *data;
	size_t size, pos;
};

/* Serves words from the input; the first byte of each read decides a short read. */
static int fake_read(void *ctx, unsigned addr, unsigned count, uint16_t *out,
		     enum vault_reason *why)
{
	struct fake *f = ctx;
	if (f->pos >= f->size) {
		*why = VAULT_R_SHELF_TIMEOUT;
		return -ETIMEDOUT;
	}
	unsigned short_by = f->data[f->pos++] == 0xFF ? 1 : 0;
	unsigned n = count - (count ? short_by : 0);
	for (unsigned i = 0; i < n; i++) {
		uint16_t w = 0;
		if (f->pos + 1 < f->size)
			w = (uint16_t)(f->data[f->pos] << 8 | f->data[f->pos + 1]);
		f->pos += 2;
		out[i] = w;
	}
	(void)addr;
	return (int)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t words[SHELF_HEADER_WORDS + SHELF_MAX_TAGS * SHELF_ENTRY_WORDS];
	size_t nw = size / 2;
	if (nw > sizeof words / sizeof words[0])
		nw = sizeof words / sizeof words[0];
	for (size_t i = 0; i < nw; i++)
		words[i] = (uint16_t)(data[2 * i] << 8 | data[2 * i + 1]);

	struct vault_shelf_header h;
	enum vault_reason why;
	size_t hn = nw < SHELF_HEADER_WORDS ? nw : SHELF_HEADER_WORDS;
	if (vault_tagdecode_header(words, hn, &h, &why) == 0) {
		struct vault_tag_entry out[SHELF_MAX_TAGS];
		/* Both the exact length and whatever length the input has. */
		vault_tagdecode_table(&h, words + hn, nw - hn, out, SHELF_MAX_TAGS, &why);
		vault_tagdecode_table(&h, words + hn, nw - hn, out, 3, &why);
	}

	struct fake f = {data, size, 0};
	static struct vault_shelf_snapshot snap;
	int r = vault_tagdecode_poll(fake_read, &f, size & 1, 7, &snap, &why);
	if (r == 1 && snap.ntags > SHELF_MAX_TAGS)
		__builtin_trap();
	return 0;
}
