/* SPDX-License-Identifier: MIT */
/* Portability glue for the code that both the host (C11) and the CUDA
 * kernels (nvcc, C++) compile: the POG_HD qualifier, byte swapping and the
 * bits of a float. Nothing here includes a CUDA header. */
#ifndef POG_HD_H
#define POG_HD_H

#include <stdint.h>
#include <string.h>

/* POG_HD marks a function the GPU kernels call too; POG_INLINE is how every
 * shared helper is declared, so each translation unit gets its own copy. */
#ifdef __CUDACC__
#define POG_HD __host__ __device__
#else
#define POG_HD
#endif
#define POG_INLINE static inline POG_HD

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "PoG rows are little-endian float32; a big-endian host needs a port"
#endif

/* Big-endian load of a 32-bit word (SHA-256 message words). */
POG_INLINE uint32_t pog_bswap32(uint32_t x)
{
#ifdef __CUDA_ARCH__
    return __byte_perm(x, 0, 0x0123);
#else
    return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) |
           (x << 24);
#endif
}

/* The IEEE-754 bits of f, which on a little-endian machine are also the
 * four bytes PoG hashes for f. */
POG_INLINE uint32_t pog_f32_bits(float f)
{
#ifdef __CUDA_ARCH__
    return __float_as_uint(f);
#else
    uint32_t u;

    memcpy(&u, &f, sizeof(u));
    return u;
#endif
}

#endif
