/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Type errors are caught by `npm run typecheck` (run in `npm test`), not repeated in every build.
  typescript: { ignoreBuildErrors: true },
  // The app serves everything itself (air-gapped plants): no image optimiser downloads, no telemetry.
  images: { unoptimized: true },
};

export default nextConfig;
