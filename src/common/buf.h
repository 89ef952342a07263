/*
 * buf.h: a growable byte buffer, the one place strom grows memory for encoded output.
 *
 * Ownership: the struct is caller-owned (usually on the stack or inside another object);
 * `data` is owned by the buffer and released by strom_buf_free. Reserve once, then append
 * unchecked with the *_unchecked variants in hot loops.
 */
#ifndef STROM_BUF_H
#define STROM_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct strom_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} strom_buf;

#define STROM_BUF_INIT {NULL, 0, 0}

void strom_buf_init(strom_buf *b);
void strom_buf_free(strom_buf *b);
/* Sets len to 0 and keeps the allocation. */
static inline void strom_buf_reset(strom_buf *b) { b->len = 0; }
/* Ensures room for `extra` more bytes. Returns 0 or STROM_ENOMEM/STROM_ELIMIT. */
int strom_buf_reserve(strom_buf *b, size_t extra);
/* The same for a buffer filled in one go with MiBs (a network answer): from 2 MiB on, the
 * room is exactly what is asked for, rounded up to 2 MiB, 2 MiB-aligned, with transparent
 * huge pages asked for (madvise), so that its first fill takes a few page faults instead of
 * one per 4 KiB. Below 2 MiB, strom_buf_reserve. */
int strom_buf_reserve_large(strom_buf *b, size_t extra);
#define STROM_BUF_HUGE (2u << 20) /* a transparent huge page */
int strom_buf_append(strom_buf *b, const void *p, size_t n);
/* Appends n zero bytes. */
int strom_buf_zeros(strom_buf *b, size_t n);
/* Pads with zero bytes to a multiple of `align` (a power of two). */
int strom_buf_pad(strom_buf *b, size_t align);
/* Takes the allocation out of the buffer (caller frees with free()); leaves b empty. */
uint8_t *strom_buf_detach(strom_buf *b, size_t *len);

/* Makes room for one more element in a growable array of `elem`-byte elements holding n of
 * *cap: when full, the capacity doubles (starting at `first`). `arrp` is the address of the
 * array pointer. Returns 0, or STROM_ENOMEM with the array unchanged. */
int strom_array_grow(void *arrp, int n, int *cap, size_t elem, int first);
/* The same for size_t counts. */
int strom_array_grow_z(void *arrp, size_t n, size_t *cap, size_t elem, size_t first);

#endif /* STROM_BUF_H */
