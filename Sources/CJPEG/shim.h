#ifndef WTOOL_CJPEG_SHIM_H
#define WTOOL_CJPEG_SHIM_H
// jpeglib.h needs FILE and size_t declared before it is included.
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

// Why this decode loop is written in C: libjpeg reports fatal errors through
// `error_exit`, whose default prints and calls exit(). The only way to recover is
// to longjmp out of the library back to a setjmp in the caller, and setjmp/longjmp
// cannot be expressed in Swift (jumping over Swift frames is undefined behaviour).
// So everything between setjmp and the last libjpeg call lives here, in
// `cjpeg_`-prefixed static inline functions, and Swift only sees status codes.

enum {
    CJPEG_OK = 0,
    CJPEG_ERROR = 1,          // libjpeg error; `message` says which
    CJPEG_TRUNCATED = 2,      // data ended before the image did
    CJPEG_TOO_MANY_SCANS = 3, // progressive file with more than CJPEG_MAX_SCANS scans
    CJPEG_BAD_REQUEST = 4,    // caller's buffer or limits do not match the image
};

// libjpeg-turbo's own TurboJPEG API caps scans the same way: a crafted progressive
// file with thousands of tiny scans otherwise takes minutes to decode.
#define CJPEG_MAX_SCANS 500

/// What the frame header says. `color_space` is libjpeg's J_COLOR_SPACE guess for the
/// file (from JFIF/Adobe markers and component ids), `components` the frame's count.
typedef struct cjpeg_header {
    uint32_t width;
    uint32_t height;
    int components;
    int color_space;
    int progressive;
} cjpeg_header;

typedef struct cjpeg_error_mgr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int status;
    int finishing;  // set once every scanline is decoded
    char message[JMSG_LENGTH_MAX];
} cjpeg_error_mgr;

// Internal: the end of the data was reached after the whole image was decoded.
#define CJPEG_COMPLETE_AT_EOF 100

static inline void cjpeg_error_exit(j_common_ptr cinfo) {
    cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
    if (err->status == CJPEG_OK) {
        err->status = CJPEG_ERROR;
    }
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

// Warnings (corrupt-but-decodable data) are ignored, as Pillow ignores them, except
// "premature end of file": jpeg_mem_src would pad with a fake EOI and return grey
// rows, where Pillow reports a truncated image. Once every scanline is out, the end
// of the data only ends the trailing-marker scan (Pillow's suspending source
// accepts that too).
static inline void cjpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level < 0) {
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
            cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
            err->status = err->finishing ? CJPEG_COMPLETE_AT_EOF : CJPEG_TRUNCATED;
            cjpeg_error_exit(cinfo);
        }
        cinfo->err->num_warnings++;
    }
}

static inline void cjpeg_output_message(j_common_ptr cinfo) {
    (void)cinfo;  // never print to stderr
}

static inline void cjpeg_progress_monitor(j_common_ptr cinfo) {
    if (cinfo->is_decompressor &&
        ((j_decompress_ptr)cinfo)->input_scan_number > CJPEG_MAX_SCANS) {
        cjpeg_error_mgr *err = (cjpeg_error_mgr *)cinfo->err;
        err->status = CJPEG_TOO_MANY_SCANS;
        snprintf(err->message, sizeof err->message, "more than %d progressive scans", CJPEG_MAX_SCANS);
        longjmp(err->jump, 1);
    }
}

/// Reads the header of the JPEG in `data` and, when `out` is not NULL, decodes it into
/// `out` with libjpeg's defaults (JDCT_ISLOW, fancy upsampling), as Pillow does:
/// 1 component → grey (1 byte per pixel), 3 → RGB (3), 4 → CMYK (4, as stored; YCCK is
/// converted to CMYK by libjpeg). Rows are packed top to bottom, `out_size` must be
/// width × height × that byte count, and width × height must not exceed `max_pixels`.
/// Data ending before the last scanline is CJPEG_TRUNCATED (in practice libjpeg reads
/// ahead to the EOI marker, so a missing EOI is "truncated" too — as in Pillow).
/// Returns a CJPEG_ status; on failure `message` holds libjpeg's text.
static inline int cjpeg_decode(const void *data, size_t size, cjpeg_header *header,
                               uint8_t *out, size_t out_size, uint64_t max_pixels,
                               char *message, size_t message_size) {
    struct jpeg_decompress_struct cinfo;
    cjpeg_error_mgr err;
    struct jpeg_progress_mgr progress;
    memset(&cinfo, 0, sizeof cinfo);
    memset(&err, 0, sizeof err);
    memset(&progress, 0, sizeof progress);
    memset(header, 0, sizeof *header);
    if (message_size > 0) {
        message[0] = 0;
    }

    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = cjpeg_error_exit;
    err.pub.emit_message = cjpeg_emit_message;
    err.pub.output_message = cjpeg_output_message;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        if (err.status == CJPEG_COMPLETE_AT_EOF) {
            return CJPEG_OK;
        }
        if (message_size > 0) {
            snprintf(message, message_size, "%s", err.message);
        }
        return err.status == CJPEG_OK ? CJPEG_ERROR : err.status;
    }
    jpeg_create_decompress(&cinfo);
    progress.progress_monitor = cjpeg_progress_monitor;
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, (const unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    header->width = cinfo.image_width;
    header->height = cinfo.image_height;
    header->components = cinfo.num_components;
    header->color_space = (int)cinfo.jpeg_color_space;
    header->progressive = cinfo.progressive_mode ? 1 : 0;
    if (out == NULL) {
        jpeg_destroy_decompress(&cinfo);
        return CJPEG_OK;
    }

    size_t pixel_bytes;
    switch (cinfo.num_components) {
        case 1: cinfo.out_color_space = JCS_GRAYSCALE; pixel_bytes = 1; break;
        case 3: cinfo.out_color_space = JCS_RGB; pixel_bytes = 3; break;
        case 4: cinfo.out_color_space = JCS_CMYK; pixel_bytes = 4; break;
        default:
            snprintf(message, message_size, "%d-component images are not supported", cinfo.num_components);
            jpeg_destroy_decompress(&cinfo);
            return CJPEG_BAD_REQUEST;
    }
    uint64_t pixels = (uint64_t)cinfo.image_width * (uint64_t)cinfo.image_height;
    if (pixels > max_pixels || pixels * pixel_bytes != (uint64_t)out_size) {
        snprintf(message, message_size, "output buffer does not match the image");
        jpeg_destroy_decompress(&cinfo);
        return CJPEG_BAD_REQUEST;
    }
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != cinfo.image_width || cinfo.output_height != cinfo.image_height ||
        (size_t)cinfo.output_components != pixel_bytes) {
        snprintf(message, message_size, "unexpected output geometry");
        jpeg_destroy_decompress(&cinfo);
        return CJPEG_BAD_REQUEST;
    }
    size_t stride = (size_t)cinfo.output_width * pixel_bytes;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + (size_t)cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    // Reads the markers up to EOI, as Pillow does: corrupt ones are errors, running out
    // of data is not (see cjpeg_emit_message).
    err.finishing = 1;
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return CJPEG_OK;
}

#endif
