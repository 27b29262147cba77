/* enc.h: the four payload encodings (raw, text, hex, base64), pure. */
#ifndef ENC_H
#define ENC_H

#include <stddef.h>

enum encoding {
	ENC_RAW,
	ENC_TEXT,
	ENC_HEX,
	ENC_BASE64
};

/* Why a decode failed: a static phrase and the offset in the input. */
struct enc_error {
	const char	*what;
	size_t		 offset;
};

/* Sets *e from "raw", "text", "hex" or "base64"; returns 0, or -1. */
int	 enc_from_name(const char *name, enum encoding *e);
const char *enc_name(enum encoding e);

/*
 * Upper bound of the decoded size of len input bytes (never more than len),
 * so that a caller can size the output of enc_decode().
 */
size_t	 enc_decoded_max(enum encoding e, size_t len);

/*
 * Decodes len bytes of in into out, which holds enc_decoded_max(e, len)
 * bytes.  Returns the decoded size, or -1 with *err set when the input is
 * not valid in that encoding.
 */
long	 enc_decode(enum encoding e, const char *in, size_t len,
	    unsigned char *out, struct enc_error *err);

/* Upper bound of the encoded size of len bytes. */
size_t	 enc_encoded_max(enum encoding e, size_t len);

/*
 * Encodes len bytes of in into out, which holds enc_encoded_max(e, len)
 * bytes.  Returns the encoded size; it cannot fail.  No terminating NUL.
 */
size_t	 enc_encode(enum encoding e, const unsigned char *in, size_t len,
	    char *out);

#endif
