"""polyseq plugin: protein sequences. Hook implementations only; the work lives in the modules."""

from polyseq import Domain, hookimpl


@hookimpl
def register_domains(register):
    register(
        Domain(
            name="protein",
            description="Amino-acid sequences (one-letter IUPAC codes), read from FASTA",
            tokenizers={"residue": "polyseq_protein.tokenizers:ResidueTokenizer"},
            default_tokenizer="residue",
            readers={
                ".fasta": "polyseq_protein.io:read_fasta",
                ".fa": "polyseq_protein.io:read_fasta",
                ".faa": "polyseq_protein.io:read_fasta",
            },
            examples=(
                "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQFEVVHSLAKWKRQTLGQHDFSAGEGLYTHMKALRPDEDRLSPLHSVYVDQWDWERVMGDGERQFSTLKSTVEAIWAGIKATEAAVSEEFGLAPFLPDQIHFVHSQELLSRYPDLDAKGRERAIAKDLGAVFLVGIGGKLSDGHRHDVRAPDYDDWUAXBZ",
                "MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNALSALSDLHAHKL",
                "GIVEQCCTSICSLYQLENYCN",
            ),
            validator="polyseq_protein.io:validate",
            writer="polyseq_protein.io:write_fasta",
            example_files="polyseq_protein.io:example_files",
        )
    )
