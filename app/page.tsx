export default function HomePage() {
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: 24 }}>
      <h1>Script Server</h1>
      <p>The API is described at /api/openapi.json; health at /api/health.</p>
    </main>
  );
}
