#ifndef WTOOL_CPNG_SHIM_H
#define WTOOL_CPNG_SHIM_H
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <png.h>

// Why this decode loop is written in C: libpng reports errors by longjmp to the
// setjmp in png_jmpbuf (its default error handler aborts otherwise), and
// setjmp/longjmp cannot be expressed in Swift (jumping over Swift frames is undefined
// behaviour). libpng's simplified png_image_* API avoids longjmp but composites
// alpha and applies gamma, which Pillow's convert("RGB") does not. So the low-level
// decode lives here, in `cpng_`-prefixed static inline functions, returning status
// codes; Swift does the colour conversion.
//
// tRNS is read raw through libpng's user-chunk hook, not by libpng's own handler: Pillow
// keeps whatever the chunk holds (more alphas than palette entries, a grey value wider
// than the bit depth, extra bytes), which libpng would validate away.

enum {
    CPNG_OK = 0,
    CPNG_ERROR = 1,        // libpng error (bad CRC, bad zlib data, ...); `message` says which
    CPNG_TRUNCATED = 2,    // data ended before the image did
    CPNG_BAD_REQUEST = 3,  // caller's buffer or limits do not match the image
    CPNG_NO_MEMORY = 4,
};

/// What IHDR, PLTE and tRNS say. `channels` is samples per pixel as stored (1 grey or
/// palette index, 2 grey+alpha, 3 RGB, 4 RGBA); `palette` holds `palette_count` RGB
/// triples. `trns_length` is the byte length of the last tRNS chunk before the image data
/// (-1 without one); `trns` holds its first 256 bytes.
typedef struct cpng_header {
    uint32_t width;
    uint32_t height;
    int bit_depth;
    int color_type;
    int interlaced;
    int channels;
    int palette_count;
    uint8_t palette[256 * 3];
    int trns_length;
    uint8_t trns[256];
} cpng_header;

typedef struct cpng_state {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int status;
    char message[200];
} cpng_state;

static inline void cpng_read_data(png_structp png, png_bytep out, size_t length) {
    cpng_state *state = (cpng_state *)png_get_io_ptr(png);
    if (length > state->size - state->offset) {
        state->status = CPNG_TRUNCATED;
        png_error(png, "unexpected end of data");
    }
    memcpy(out, state->data + state->offset, length);
    state->offset += length;
}

static inline void cpng_error_fn(png_structp png, png_const_charp text) {
    cpng_state *state = (cpng_state *)png_get_error_ptr(png);
    if (state->status == CPNG_OK) {
        state->status = CPNG_ERROR;
    }
    snprintf(state->message, sizeof state->message, "%s", text);
    png_longjmp(png, 1);
}

// libpng calls this, after checking the CRC, for tRNS, for the metadata cpng_decode skips
// and for chunks it does not know. It keeps tRNS and drops the others: returning 1 means
// "handled", so an unknown chunk is ignored even when critical, as Pillow ignores it.
static inline int cpng_user_chunk(png_structp png, png_unknown_chunkp chunk) {
    cpng_header *header = (cpng_header *)png_get_user_chunk_ptr(png);
    if (memcmp(chunk->name, "tRNS", 4) == 0) {
        size_t kept = chunk->size < sizeof header->trns ? chunk->size : sizeof header->trns;
        if (kept > 0) {
            memcpy(header->trns, chunk->data, kept);
        }
        header->trns_length = chunk->size > 0x7fffffff ? 0x7fffffff : (int)chunk->size;
    }
    return 1;
}

static inline void cpng_warning_fn(png_structp png, png_const_charp text) {
    (void)png;  // warnings are not errors, and never go to stderr
    (void)text;
}

/// Reads the header of the PNG in `data` and, when `out` is not NULL, decodes it into
/// `out`: rows packed top to bottom, `channels` bytes per pixel, sub-8-bit samples
/// unpacked to one byte each but NOT rescaled (grey 2-bit gives 0...3, palette gives
/// indices), 16-bit samples cut to their high byte (as Pillow's `;16B` unpackers do),
/// interlacing undone, no gamma, tRNS or alpha processing. Every chunk's CRC is checked,
/// ancillary ones included, as Pillow does. Returns a CPNG_ status.
static inline int cpng_decode(const void *data, size_t size, cpng_header *header,
                              uint8_t *out, size_t out_size, uint64_t max_pixels,
                              char *message, size_t message_size) {
    cpng_state state;
    memset(&state, 0, sizeof state);
    memset(header, 0, sizeof *header);
    header->trns_length = -1;
    state.data = (const uint8_t *)data;
    state.size = size;
    if (message_size > 0) {
        message[0] = 0;
    }

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, cpng_error_fn, cpng_warning_fn);
    if (png == NULL) {
        snprintf(message, message_size, "out of memory");
        return CPNG_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(message, message_size, "out of memory");
        return CPNG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        snprintf(message, message_size, "%s", state.message);
        png_destroy_read_struct(&png, &info, NULL);
        return state.status == CPNG_OK ? CPNG_ERROR : state.status;
    }
    png_set_read_fn(png, &state, cpng_read_data);
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    // Metadata we never use is skipped unparsed (its CRC is still checked).
    static const png_byte skipped[] = "tEXt\0zTXt\0iTXt\0iCCP\0eXIf\0sPLT";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, skipped, 6);
    static const png_byte raw[] = "tRNS";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_ALWAYS, raw, 1);
    png_set_read_user_chunk_fn(png, header, cpng_user_chunk);
    png_read_info(png, info);

    header->width = png_get_image_width(png, info);
    header->height = png_get_image_height(png, info);
    header->bit_depth = png_get_bit_depth(png, info);
    header->color_type = png_get_color_type(png, info);
    header->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    header->channels = png_get_channels(png, info);
    png_colorp palette = NULL;
    int palette_count = 0;
    if (png_get_PLTE(png, info, &palette, &palette_count) & PNG_INFO_PLTE) {
        if (palette_count > 256) {
            palette_count = 256;
        }
        for (int i = 0; i < palette_count; i++) {
            header->palette[3 * i + 0] = palette[i].red;
            header->palette[3 * i + 1] = palette[i].green;
            header->palette[3 * i + 2] = palette[i].blue;
        }
        header->palette_count = palette_count;
    }
    if (out == NULL) {
        png_destroy_read_struct(&png, &info, NULL);
        return CPNG_OK;
    }

    uint64_t pixels = (uint64_t)header->width * (uint64_t)header->height;
    if (pixels > max_pixels ||
        pixels * (uint64_t)header->channels != (uint64_t)out_size) {
        snprintf(message, message_size, "output buffer does not match the image");
        png_destroy_read_struct(&png, &info, NULL);
        return CPNG_BAD_REQUEST;
    }
    if (header->bit_depth < 8) {
        png_set_packing(png);
    } else if (header->bit_depth == 16) {
        png_set_strip_16(png);
    }
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t stride = (size_t)header->width * (size_t)header->channels;
    if (png_get_rowbytes(png, info) != stride) {
        snprintf(message, message_size, "unexpected row size");
        png_destroy_read_struct(&png, &info, NULL);
        return CPNG_BAD_REQUEST;
    }
    // For interlaced images each pass fills in its pixels of every row ("sparkle"
    // mode of png_read_rows), so after the last pass the rows are complete.
    for (int pass = 0; pass < passes; pass++) {
        for (uint32_t y = 0; y < header->height; y++) {
            png_read_row(png, out + (size_t)y * stride, NULL);
        }
    }
    // No png_read_end: Pillow does not require the chunks after the image data.
    png_destroy_read_struct(&png, &info, NULL);
    return CPNG_OK;
}

#endif
