/* The weights of this model, linked in from weights.bin by the assembler. */
#ifndef GPUX_WEIGHTS_FILE
#define GPUX_WEIGHTS_FILE "weights.bin"
#endif
	.section .rodata.${PREFIX}_weights,"a"
	.balign 64
	.globl ${PREFIX}_weights
	.type ${PREFIX}_weights, %object
${PREFIX}_weights:
	.incbin GPUX_WEIGHTS_FILE
	.byte 0
	.size ${PREFIX}_weights, . - ${PREFIX}_weights
#if defined(__ELF__)
	.section .note.GNU-stack,"",%progbits
#endif
