/* SPDX-License-Identifier: MIT */
/* STROBE-128 (the meta-AD, AD, PRF and KEY operations Merlin needs) and
 * the Merlin transcript on top of it, following the STROBE v1.0.2
 * specification and dalek-cryptography/merlin's description of its
 * operations. */
#include "merlin.h"

#include <sodium.h>

#include <assert.h>
#include <string.h>

/* STROBE operation flags. */
enum {
    FLAG_I = 1 << 0, /* inbound */
    FLAG_A = 1 << 1, /* application data */
    FLAG_C = 1 << 2, /* cipher: output or key depends on the state */
    FLAG_T = 1 << 3, /* transport: unsupported here */
    FLAG_M = 1 << 4, /* metadata */
    FLAG_K = 1 << 5, /* keytree: unsupported here */
};

static const char protocol_label[] = "Merlin v1.0";

/* Pads the absorbed block (pos_begin, then STROBE's 0x04 and the final
 * 0x80 at the end of the rate) and permutes. */
static void run_f(struct merlin_strobe *s)
{
    s->state[s->pos] ^= s->pos_begin;
    s->state[s->pos + 1] ^= 0x04;
    s->state[MERLIN_STROBE_R + 1] ^= 0x80;
    keccak_f1600(s->state);
    s->pos = 0;
    s->pos_begin = 0;
}

static void advance(struct merlin_strobe *s)
{
    if (++s->pos == MERLIN_STROBE_R)
        run_f(s);
}

static void absorb(struct merlin_strobe *s, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        s->state[s->pos] ^= data[i];
        advance(s);
    }
}

static void overwrite(struct merlin_strobe *s, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        s->state[s->pos] = data[i];
        advance(s);
    }
}

static void squeeze(struct merlin_strobe *s, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        out[i] = s->state[s->pos];
        s->state[s->pos] = 0;
        advance(s);
    }
}

/* Starts an operation: absorbs the previous start and the flags, and
 * permutes first when the output must depend on everything before it. */
static void begin_op(struct merlin_strobe *s, uint8_t flags, bool more)
{
    uint8_t head[2];

    if (more) {
        assert(s->cur_flags == flags);
        return;
    }
    assert(!(flags & (FLAG_T | FLAG_K)));
    head[0] = s->pos_begin;
    head[1] = flags;
    s->pos_begin = (uint8_t)(s->pos + 1);
    s->cur_flags = flags;
    absorb(s, head, sizeof(head));
    if ((flags & (FLAG_C | FLAG_K)) && s->pos != 0)
        run_f(s);
}

void merlin_strobe_init(struct merlin_strobe *s, const uint8_t *label,
                        size_t len)
{
    static const uint8_t head[6] = {1, MERLIN_STROBE_R + 2, 1, 0, 1, 96};
    static const char version[] = "STROBEv1.0.2";

    memset(s, 0, sizeof(*s));
    memcpy(s->state, head, sizeof(head));
    memcpy(s->state + sizeof(head), version, sizeof(version) - 1);
    keccak_f1600(s->state);
    merlin_strobe_meta_ad(s, label, len, false);
}

void merlin_strobe_meta_ad(struct merlin_strobe *s, const uint8_t *data,
                           size_t len, bool more)
{
    begin_op(s, FLAG_M | FLAG_A, more);
    absorb(s, data, len);
}

void merlin_strobe_ad(struct merlin_strobe *s, const uint8_t *data, size_t len,
                      bool more)
{
    begin_op(s, FLAG_A, more);
    absorb(s, data, len);
}

void merlin_strobe_prf(struct merlin_strobe *s, uint8_t *out, size_t len,
                       bool more)
{
    begin_op(s, FLAG_I | FLAG_A | FLAG_C, more);
    squeeze(s, out, len);
}

void merlin_strobe_key(struct merlin_strobe *s, const uint8_t *data, size_t len,
                       bool more)
{
    begin_op(s, FLAG_A | FLAG_C, more);
    overwrite(s, data, len);
}

/* The 4-byte little-endian length Merlin frames every message with. */
static void le32(uint8_t out[4], size_t n)
{
    assert(n <= UINT32_MAX);
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(n >> (8 * i));
}

/* meta-AD(label) then meta-AD(LE32(n), more): the head of every Merlin
 * operation that carries a label. */
static void label_and_length(struct merlin *t, const char *label, size_t n)
{
    uint8_t len[4];

    le32(len, n);
    merlin_strobe_meta_ad(&t->strobe, (const uint8_t *)label, strlen(label),
                          false);
    merlin_strobe_meta_ad(&t->strobe, len, sizeof(len), true);
}

void merlin_init(struct merlin *t, const char *label)
{
    merlin_strobe_init(&t->strobe, (const uint8_t *)protocol_label,
                       sizeof(protocol_label) - 1);
    merlin_append(t, "dom-sep", (const uint8_t *)label, strlen(label));
}

void merlin_append(struct merlin *t, const char *label, const uint8_t *msg,
                   size_t len)
{
    label_and_length(t, label, len);
    merlin_strobe_ad(&t->strobe, msg, len, false);
}

void merlin_append_u64(struct merlin *t, const char *label, uint64_t x)
{
    uint8_t le[8];

    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(x >> (8 * i));
    merlin_append(t, label, le, sizeof(le));
}

void merlin_challenge(struct merlin *t, const char *label, uint8_t *out,
                      size_t n)
{
    label_and_length(t, label, n);
    merlin_strobe_prf(&t->strobe, out, n, false);
}

void merlin_witness_rekey(struct merlin *t, const char *label, const uint8_t *w,
                          size_t len)
{
    label_and_length(t, label, len);
    merlin_strobe_key(&t->strobe, w, len, false);
}

void merlin_witness_finalize(struct merlin *t,
                             const uint8_t rnd[MERLIN_RNG_BYTES])
{
    static const char rng_label[] = "rng";

    merlin_strobe_meta_ad(&t->strobe, (const uint8_t *)rng_label,
                          sizeof(rng_label) - 1, false);
    merlin_strobe_key(&t->strobe, rnd, MERLIN_RNG_BYTES, false);
}

void merlin_witness_bytes(struct merlin *t, uint8_t *out, size_t n)
{
    uint8_t len[4];

    le32(len, n);
    merlin_strobe_meta_ad(&t->strobe, len, sizeof(len), false);
    merlin_strobe_prf(&t->strobe, out, n, false);
}

void merlin_wipe(struct merlin *t)
{
    sodium_memzero(t, sizeof(*t));
}
