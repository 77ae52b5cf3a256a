// AddedToken: an entry of tokenizer.json's "added_tokens": text matched verbatim before BPE, with its own id.
namespace Rebel.Models.Tokenization;

/// <summary>A token matched verbatim in the input before pre-tokenization (special tokens such as "&lt;|endoftext|&gt;").</summary>
/// <param name="Id">Its id.</param>
/// <param name="Content">Its text.</param>
/// <param name="Special">Special tokens are dropped by Decode(skipSpecialTokens: true).</param>
/// <param name="LStrip">Absorbs whitespace on its left.</param>
/// <param name="RStrip">Absorbs whitespace on its right.</param>
/// <param name="Normalized">Matched in the normalized text (its content normalized too) rather than in the raw input.</param>
/// <param name="SingleWord">Matched only where no word character (letter, digit, '_') touches it on either side.</param>
public sealed record AddedToken(int Id, string Content, bool Special = true, bool LStrip = false, bool RStrip = false, bool Normalized = false, bool SingleWord = false);
