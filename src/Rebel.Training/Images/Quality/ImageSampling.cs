// Sampling for evaluation and pictures: fixed (caption, seed) lists, each image drawn from its own seeded noise so the same
// list gives the same starting noise before and after fine-tuning, and PNG grids of the results.
using Rebel.Models.Diffusion;
using Rebel.Tensors;
using Rebel.Training.Images.Data;

namespace Rebel.Training.Images.Quality;

/// <summary>Seeded sampling of captions, and grids.</summary>
public static class ImageSampling
{
    /// <summary>Images for <paramref name="captions"/>[i] from noise seeded with <paramref name="seeds"/>[i], in batches of <paramref name="batch"/>.</summary>
    public static List<float[]> Sample(IDenoiser model, DdimOptions options, IReadOnlyList<string> captions, IReadOnlyList<ulong> seeds, int batch = 64)
    {
        if (captions.Count != seeds.Count) throw new ArgumentException($"ImageSampling: {captions.Count} captions for {seeds.Count} seeds.");
        var sampler = new DdimSampler(model, options);
        var images = new List<float[]>(captions.Count);
        for (int start = 0; start < captions.Count; start += batch)
        {
            int n = Math.Min(batch, captions.Count - start);
            var trajectories = sampler.Sample(ImageConditions.OfCaptions(captions.Skip(start).Take(n)), [.. seeds.Skip(start).Take(n).Select(s => new Rng(s))]);
            images.AddRange(trajectories.Select(t => t.Image));
        }
        return images;
    }

    /// <summary>Each of <paramref name="captions"/> repeated <paramref name="perCaption"/> times, with consecutive seeds from <paramref name="firstSeed"/> on (caption-major).</summary>
    public static (List<string> Captions, List<ulong> Seeds) Grid(IReadOnlyList<string> captions, int perCaption, ulong firstSeed)
    {
        var c = new List<string>();
        var s = new List<ulong>();
        for (int i = 0; i < captions.Count; i++)
            for (int j = 0; j < perCaption; j++)
            {
                c.Add(captions[i]);
                s.Add(firstSeed + (ulong)(i * perCaption + j));
            }
        return (c, s);
    }

    /// <summary>A PNG of <paramref name="images"/> (3·S·S in [−1, 1]) laid out <paramref name="columns"/> per row.</summary>
    public static byte[] GridPng(IReadOnlyList<float[]> images, int size, int columns) =>
        ImageGrid.Compose([.. images.Select(i => ShapesDataset.ToRgb(i, size))], size, columns).ToPng();
}
