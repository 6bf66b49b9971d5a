/* SPDX-License-Identifier: MIT */
/* Streaming SHA-256 on the host over the shared POG_HD compression function
 * (pog_sha256.h), so the CPU path and the CUDA kernel hash with one code. */
#include "pog_sha256.h"

static void absorb(struct pog_sha256 *ctx, const uint8_t blk[64])
{
    uint32_t w[16];

    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)blk[4 * t] << 24 | (uint32_t)blk[4 * t + 1] << 16 |
               (uint32_t)blk[4 * t + 2] << 8 | (uint32_t)blk[4 * t + 3];
    pog_sha256_compress(ctx->st, w);
}

void pog_sha256_init(struct pog_sha256 *ctx)
{
    pog_sha256_iv(ctx->st);
    ctx->fill = 0;
    ctx->total = 0;
}

void pog_sha256_update(struct pog_sha256 *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;

    if (len == 0)
        return; /* data may be NULL */
    ctx->total += len;
    if (ctx->fill) {
        size_t take = 64 - ctx->fill < len ? 64 - ctx->fill : len;

        memcpy(ctx->buf + ctx->fill, p, take);
        ctx->fill += take;
        p += take;
        len -= take;
        if (ctx->fill < 64)
            return;
        absorb(ctx, ctx->buf);
        ctx->fill = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        absorb(ctx, p);
    if (len)
        memcpy(ctx->buf, p, len);
    ctx->fill = len;
}

void pog_sha256_final(struct pog_sha256 *ctx, uint8_t out[POG_HASH_LEN])
{
    uint64_t bits = ctx->total * 8u;

    ctx->buf[ctx->fill++] = 0x80;
    if (ctx->fill > 56) {
        memset(ctx->buf + ctx->fill, 0, 64 - ctx->fill);
        absorb(ctx, ctx->buf);
        ctx->fill = 0;
    }
    memset(ctx->buf + ctx->fill, 0, 56 - ctx->fill);
    for (int t = 0; t < 8; t++)
        ctx->buf[56 + t] = (uint8_t)(bits >> (56 - 8 * t));
    absorb(ctx, ctx->buf);
    pog_sha256_digest(ctx->st, out);
}

void pog_sha256(const void *data, size_t len, uint8_t out[POG_HASH_LEN])
{
    struct pog_sha256 ctx;

    pog_sha256_init(&ctx);
    pog_sha256_update(&ctx, data, len);
    pog_sha256_final(&ctx, out);
}
